// CUDA schedule of mHC-lite's permutation mixture: one thread per token,
// which computes its softmax and all of its cells.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_permutation_mix_forward_cuda(PermutationMixForwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.h.reorder(s.col, s.row, s.t)
        .gpu_tile(s.t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    s.weights.compute_at(s.w, s.h, thread);
    s.mixed.compute_at(s.h, thread);
}

inline void schedule_permutation_mix_backward_cuda(PermutationMixBackwardStages &s,
                                                   const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.dlogits.reorder(s.k, s.t).gpu_tile(s.t, block, thread, knobs.gpu_threads,
                                         TailStrategy::GuardWithIf);
    s.weights.compute_at(s.w, s.dlogits, thread);
    s.picked.compute_at(s.dlogits, thread);
    s.mean.compute_at(s.dlogits, thread);
}

}  // namespace gomhc
