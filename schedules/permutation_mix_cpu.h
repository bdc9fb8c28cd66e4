// CPU schedule of mHC-lite's permutation mixture: tasks of tokens in
// parallel; a token's softmax is computed once and shared by its d*d cells.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_permutation_mix_forward_cpu(PermutationMixForwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    Var t_task("t_task");
    s.h.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf).parallel(t_task);
    s.weights.compute_at(s.w, s.h, s.t);
    s.mixed.compute_at(s.h, s.t);
}

inline void schedule_permutation_mix_backward_cpu(PermutationMixBackwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    Var t_task("t_task");
    s.dlogits.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .parallel(t_task);
    s.weights.compute_at(s.w, s.dlogits, s.t);
    s.picked.compute_at(s.dlogits, s.t);
    s.mean.compute_at(s.dlogits, s.t);
}

}  // namespace gomhc
