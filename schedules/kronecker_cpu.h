// CPU schedule of the Kronecker product: tasks of tokens in parallel; each
// adjoint sum is computed per cell of the token being written.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_kronecker_forward_cpu(KroneckerForwardStages &s, const ScheduleKnobs &knobs) {
    Var t_task("t_task");
    s.h.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf).parallel(t_task);
}

inline void schedule_kronecker_backward_cpu(KroneckerBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    for (Func out : {s.dh1, s.dh2}) {
        Var t_task("t_task");
        out.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf)
            .parallel(t_task);
    }
    s.dh1_sum.compute_at(s.dh1, s.t);
    s.dh2_sum.compute_at(s.dh2, s.t);
}

}  // namespace gomhc
