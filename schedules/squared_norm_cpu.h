// CPU schedule of the squared norm: the chunks are split over the threads;
// each chunk is summed in vector_width interleaved partial sums (rfactor),
// added up in a fixed order, so the result does not depend on the threads.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/squared_norm_stages.h"

namespace gomhc {

inline void schedule_squared_norm_cpu(SquaredNormStages &s, const ScheduleKnobs &knobs) {
    RVar outer("outer"), lane_r("lane_r");
    Var lane("lane");
    s.chunk_sum.compute_root().parallel(s.chunk);
    s.chunk_sum.update().parallel(s.chunk);
    Func lanes = s.chunk_sum.update()
                     .split(s.in_chunk, outer, lane_r, knobs.vector_width)
                     .rfactor(lane_r, lane);
    lanes.compute_at(s.chunk_sum, s.chunk).vectorize(lane);
    lanes.update().vectorize(lane);
    s.total.compute_root();
}

}  // namespace gomhc
