// CPU schedule of the block Hadamard-square projection.
//
// Both directions stream Q once and do a few flops per element, so the aim is
// simply to keep the loads dense: lanes run along a row of H (forward) or of
// Q (backward), and threads take tokens_per_task tokens at a time.
#pragma once

#include <algorithm>

#include "schedules/cpu_common.h"
#include "schedules/orthostochastic_stages.h"

namespace gomhc {

inline void schedule_orthostochastic_forward_cpu(OrthostochasticForwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.h, s.t, knobs);
    s.block_sum.compute_at(s.h, s.row);
    if (s.fixed_shape) {
        // A whole row of H per vector when it fits; d is at least 2.
        const int lanes = std::min(s.d, knobs.vector_width);
        s.h.vectorize(s.col, lanes);
        s.block_sum.vectorize(s.col, lanes);
        s.block_sum.update().reorder(s.col, s.block.x, s.block.y).vectorize(s.col, lanes);
        s.block_sum.update().unroll(s.block.x).unroll(s.block.y);
    }
}

inline void schedule_orthostochastic_backward_cpu(OrthostochasticBackwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.dq, s.t, knobs);
    if (s.fixed_shape) {
        s.dq.vectorize(s.col, knobs.vector_width, TailStrategy::GuardWithIf);
    }
}

}  // namespace gomhc
