// CUDA schedule of KromHC: one thread per token.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_kromhc_forward_cuda(KromhcForwardStages &s, const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.h.reorder(s.col, s.row, s.t)
        .gpu_tile(s.t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    s.factor.compute_at(s.h, thread);
    s.product.compute_at(s.h, thread);
}

inline void schedule_kromhc_backward_cuda(KromhcBackwardStages &s, const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.dlogits.reorder(s.l, s.t).gpu_tile(s.t, block, thread, knobs.gpu_threads,
                                         TailStrategy::GuardWithIf);
    s.factor.compute_at(s.dlogits, thread);
    s.others.compute_at(s.dlogits, thread);
    s.level_sum.compute_at(s.dlogits, thread);
}

}  // namespace gomhc
