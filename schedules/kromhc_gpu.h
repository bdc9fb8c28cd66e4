// GPU schedule of KromHC: one thread per token.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/kromhc_stages.h"
#include "schedules/stages.h"

namespace gomhc {

inline void schedule_kromhc_forward_gpu(KromhcForwardStages &s, const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_token(s.h, {s.col, s.row}, s.t, knobs);
    s.diagonal.compute_at(s.h, thread);
    s.product.compute_at(s.h, thread);
}

inline void schedule_kromhc_backward_gpu(KromhcBackwardStages &s, const ScheduleKnobs &knobs) {
    Var thread = gpu_thread_per_token(s.dlogits, {s.l}, s.t, knobs);
    s.diagonal.compute_at(s.dlogits, thread);
    s.others.compute_at(s.dlogits, thread);
    s.level_sum.compute_at(s.dlogits, thread);
}

}  // namespace gomhc
