// CPU schedule of the cross-entropy: threads take tokens_per_task tokens;
// a token's max and sum of exponentials run along its logits, and the
// backward is vectorised along the vocabulary.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/cross_entropy_stages.h"

namespace gomhc {

inline void schedule_cross_entropy_forward_cpu(CrossEntropyForwardStages &s,
                                               const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.lse, s.t, knobs);
    s.largest.compute_at(s.lse, s.t);
    s.exp_sum.compute_at(s.lse, s.t);
    cpu_token_tasks(s.loss, s.t, knobs);
}

inline void schedule_cross_entropy_backward_cpu(RowwiseStages &s, const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.out, s.row, knobs);
    s.out.vectorize(s.x, knobs.vector_width, TailStrategy::GuardWithIf);
}

}  // namespace gomhc
