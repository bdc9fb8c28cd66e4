// GPU schedule of GELU: one thread per element.
#pragma once

#include "schedules/gpu_common.h"

namespace gomhc {

inline void schedule_gelu_gpu(ElementwiseStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.out, knobs);
}

}  // namespace gomhc
