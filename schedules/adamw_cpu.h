// CPU schedule of AdamW: the elementwise schedule (cpu_elementwise).
#pragma once

#include "schedules/cpu_common.h"

namespace gomhc {

inline void schedule_adamw_cpu(ElementwiseStages &s, const ScheduleKnobs &knobs) {
    cpu_elementwise(s.out, s.i, knobs);
}

}  // namespace gomhc
