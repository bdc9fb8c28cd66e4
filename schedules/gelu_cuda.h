// CUDA schedule of GELU: one thread per element.
#pragma once

#include "schedules/cuda_common.h"

namespace gomhc {

inline void schedule_gelu_cuda(ElementwiseStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.out, knobs);
}

}  // namespace gomhc
