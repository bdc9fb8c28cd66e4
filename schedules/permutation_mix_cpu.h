// CPU schedule of mHC-lite's permutation mixture: tasks of tokens in
// parallel; a token's softmax is computed once and shared by its d*d cells.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/permutation_mix_stages.h"

namespace gomhc {

inline void schedule_permutation_mix_forward_cpu(PermutationMixForwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.h, s.t, knobs);
    s.weights.compute_at(s.w, s.h, s.t);
    s.mixed.compute_at(s.h, s.t);
}

inline void schedule_permutation_mix_backward_cpu(PermutationMixBackwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.dlogits, s.t, knobs);
    s.weights.compute_at(s.w, s.dlogits, s.t);
    s.picked.compute_at(s.dlogits, s.t);
    s.mean.compute_at(s.dlogits, s.t);
}

}  // namespace gomhc
