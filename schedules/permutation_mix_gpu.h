// GPU schedule of mHC-lite's permutation mixture: one thread per token,
// which computes its softmax and all of its cells.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/permutation_mix_stages.h"
#include "schedules/stages.h"

namespace gomhc {

inline void schedule_permutation_mix_forward_gpu(PermutationMixForwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_token(s.h, {s.col, s.row}, s.t, knobs);
    s.weights.compute_at(s.w, s.h, thread);
    s.mixed.compute_at(s.h, thread);
}

inline void schedule_permutation_mix_backward_gpu(PermutationMixBackwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_token(s.dlogits, {s.k}, s.t, knobs);
    s.weights.compute_at(s.w, s.dlogits, thread);
    s.picked.compute_at(s.dlogits, thread);
    s.mean.compute_at(s.dlogits, thread);
}

}  // namespace gomhc
