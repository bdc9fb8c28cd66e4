// Shared pieces of the CUDA schedules.
#pragma once

#include <vector>

#include "generators/stages.h"

namespace gomhc {

// One GPU thread per token for the ops whose per-token work is a small
// matrix: `out`'s other dimensions (`cells`, innermost first) run inside the
// thread. Returns the thread Var, where the token's producers go.
inline Var gpu_thread_per_token(Func out, const std::vector<VarOrRVar> &cells, Var t,
                                const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    std::vector<VarOrRVar> order = cells;
    order.push_back(t);
    out.reorder(order).gpu_tile(t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    return thread;
}

}  // namespace gomhc
