// GPU schedule of the Kronecker product: one thread per token, which writes
// all of its cells (the mixers are tiny).
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/kronecker_stages.h"
#include "schedules/stages.h"

namespace gomhc {

inline void schedule_kronecker_forward_gpu(KroneckerForwardStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_token(s.h, {s.col, s.row}, s.t, knobs);
}

inline void schedule_kronecker_backward_gpu(KroneckerBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    s.dh1_sum.compute_at(s.dh1, gpu_thread_per_token(s.dh1, {s.col, s.row}, s.t, knobs));
    s.dh2_sum.compute_at(s.dh2, gpu_thread_per_token(s.dh2, {s.col, s.row}, s.t, knobs));
}

}  // namespace gomhc
