// CUDA schedule of the Kronecker product: one thread per token, which writes
// all of its cells (the mixers are tiny).
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_kronecker_forward_cuda(KroneckerForwardStages &s, const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.h.reorder(s.col, s.row, s.t)
        .gpu_tile(s.t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
}

inline void schedule_kronecker_backward_cuda(KroneckerBackwardStages &s,
                                             const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.dh1.reorder(s.col, s.row, s.t)
        .gpu_tile(s.t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    s.dh1_sum.compute_at(s.dh1, thread);
    Var block2("block2"), thread2("thread2");
    s.dh2.reorder(s.col, s.row, s.t)
        .gpu_tile(s.t, block2, thread2, knobs.gpu_threads, TailStrategy::GuardWithIf);
    s.dh2_sum.compute_at(s.dh2, thread2);
}

}  // namespace gomhc
