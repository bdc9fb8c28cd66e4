// GPU schedule of the squared norm: one thread per chunk, then one thread
// adds the chunk sums in order.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/squared_norm_stages.h"

namespace gomhc {

inline void schedule_squared_norm_gpu(SquaredNormStages &s, const ScheduleKnobs &knobs) {
    s.chunk_sum.compute_root();
    gpu_thread_per_element(s.chunk_sum, knobs);
    s.chunk_sum.update().gpu_tile(s.chunk, Var("block"), Var("thread"), knobs.gpu_threads,
                                  TailStrategy::GuardWithIf);
    s.total.compute_root().gpu_single_thread();
    s.total.update().gpu_single_thread();
    s.squared_norm.gpu_single_thread();
}

}  // namespace gomhc
