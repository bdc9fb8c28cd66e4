// CPU schedule of KromHC: tasks of tokens in parallel, each token's factors
// computed once and shared by its cells.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_kromhc_forward_cpu(KromhcForwardStages &s, const ScheduleKnobs &knobs) {
    Var t_task("t_task");
    s.h.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf).parallel(t_task);
    s.factor.compute_at(s.h, s.t);
    s.product.compute_at(s.h, s.t);
}

inline void schedule_kromhc_backward_cpu(KromhcBackwardStages &s, const ScheduleKnobs &knobs) {
    Var t_task("t_task");
    s.dlogits.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .parallel(t_task);
    s.factor.compute_at(s.dlogits, s.t);
    s.others.compute_at(s.dlogits, s.t);
    s.level_sum.compute_at(s.dlogits, s.t);
}

}  // namespace gomhc
