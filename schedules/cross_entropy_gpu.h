// GPU schedule of the cross-entropy: one thread per token for its sums,
// one per logit for the backward.
#pragma once

#include "schedules/cross_entropy_stages.h"
#include "schedules/gpu_common.h"

namespace gomhc {

inline void schedule_cross_entropy_forward_gpu(CrossEntropyForwardStages &s,
                                               const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_element(s.lse, knobs);
    s.largest.compute_at(s.lse, thread);
    s.exp_sum.compute_at(s.lse, thread);
    gpu_thread_per_element(s.loss, knobs);
}

inline void schedule_cross_entropy_backward_gpu(RowwiseStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.out, knobs);
}

}  // namespace gomhc
