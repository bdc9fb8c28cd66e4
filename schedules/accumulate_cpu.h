// CPU schedule of the elementwise add: vectors, in parallel chunks of
// tokens_per_task vectors.
#pragma once

#include "schedules/cpu_common.h"

namespace gomhc {

inline void schedule_accumulate_cpu(AccumulateStages &s, const ScheduleKnobs &knobs) {
    cpu_elementwise(s.sum, s.i, knobs);
}

}  // namespace gomhc
