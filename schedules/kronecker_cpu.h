// CPU schedule of the Kronecker product: tasks of tokens in parallel; each
// adjoint sum is computed per cell of the token being written.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/kronecker_stages.h"

namespace gomhc {

inline void schedule_kronecker_forward_cpu(KroneckerForwardStages &s, const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.h, s.t, knobs);
}

inline void schedule_kronecker_backward_cpu(KroneckerBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    for (Func out : {s.dh1, s.dh2}) {
        cpu_token_tasks(out, s.t, knobs);
    }
    s.dh1_sum.compute_at(s.dh1, s.t);
    s.dh2_sum.compute_at(s.dh2, s.t);
}

}  // namespace gomhc
