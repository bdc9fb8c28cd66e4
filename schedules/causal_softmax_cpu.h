// CPU schedule of the causal softmax: the (sequence, head) matrices are
// split over the threads; a row's max and sums run along its keys and its
// outputs are vectorised along them.
#pragma once

#include "schedules/causal_softmax_stages.h"
#include "schedules/cpu_common.h"

namespace gomhc {

inline void schedule_causal_softmax_forward_cpu(CausalSoftmaxForwardStages &s,
                                                const ScheduleKnobs &knobs) {
    s.probs.parallel(s.h).vectorize(s.k, knobs.vector_width, TailStrategy::GuardWithIf);
    s.largest.compute_at(s.probs, s.q);
    s.exponential.compute_at(s.probs, s.q)
        .vectorize(s.k, knobs.vector_width, TailStrategy::GuardWithIf);
    s.exp_sum.compute_at(s.probs, s.q);
}

inline void schedule_causal_softmax_backward_cpu(CausalSoftmaxBackwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    s.dscores.parallel(s.h).vectorize(s.k, knobs.vector_width, TailStrategy::GuardWithIf);
    s.dot.compute_at(s.dscores, s.q);
}

}  // namespace gomhc
