// GPU schedule of Sinkhorn: one thread per token runs the whole scan in its
// own memory; d is small, so a token's work is a few thousand exponentials.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/sinkhorn_stages.h"
#include "schedules/stages.h"

namespace gomhc {

inline void schedule_sinkhorn_forward_gpu(SinkhornForwardStages &s, const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_token(s.h, {s.col, s.row}, s.t, knobs);
    for (Func f : {s.logits_t, s.scan, s.potential}) {
        f.compute_at(s.h, thread);
    }
}

inline void schedule_sinkhorn_backward_gpu(SinkhornBackwardStages &s, const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_token(s.dlogits, {s.col, s.row}, s.t, knobs);
    for (Func f : {s.logits_t, s.dh_t, s.scan, s.potential, s.weighted, s.adjoint, s.dl_sum}) {
        f.compute_at(s.dlogits, thread);
    }
}

}  // namespace gomhc
