// CPU schedule of the elementwise add: vectors, in parallel chunks of
// tokens_per_task vectors.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

inline void schedule_accumulate_cpu(AccumulateStages &s, const ScheduleKnobs &knobs) {
    Var chunk("chunk");
    s.sum
        .split(s.i, chunk, s.i, knobs.vector_width * knobs.tokens_per_task,
               TailStrategy::GuardWithIf)
        .parallel(chunk)
        .vectorize(s.i, knobs.vector_width, TailStrategy::GuardWithIf);
}

}  // namespace gomhc
