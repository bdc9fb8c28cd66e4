// CPU schedule of GELU: vectors, in parallel chunks of tokens_per_task
// vectors (the elementwise schedule, cpu_elementwise).
#pragma once

#include "schedules/cpu_common.h"

namespace gomhc {

inline void schedule_gelu_cpu(ElementwiseStages &s, const ScheduleKnobs &knobs) {
    cpu_elementwise(s.out, s.i, knobs);
}

}  // namespace gomhc
