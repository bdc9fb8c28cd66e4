// GPU schedule of the elementwise add: one thread per element.
#pragma once

#include "schedules/gpu_common.h"

namespace gomhc {

inline void schedule_accumulate_gpu(AccumulateStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.sum, knobs);
}

}  // namespace gomhc
