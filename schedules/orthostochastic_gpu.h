// GPU schedule of the block Hadamard-square projection: one thread per
// output element, consecutive threads on consecutive elements so that both
// the loads of Q and the stores coalesce.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/orthostochastic_stages.h"

namespace gomhc {

inline void schedule_orthostochastic_forward_gpu(OrthostochasticForwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.h, knobs);
    if (s.fixed_shape) {
        s.block_sum.update().unroll(s.block.x).unroll(s.block.y);
    }
}

inline void schedule_orthostochastic_backward_gpu(OrthostochasticBackwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.dq, knobs);
}

}  // namespace gomhc
