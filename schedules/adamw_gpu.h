// GPU schedule of AdamW: one thread per parameter.
#pragma once

#include "schedules/gpu_common.h"

namespace gomhc {

inline void schedule_adamw_gpu(ElementwiseStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.out, knobs);
}

}  // namespace gomhc
