// CPU schedule of LayerNorm: threads take tokens_per_task tokens at a time;
// a token's sums run along its features and the outputs are vectorised
// along the features. dgamma and dbeta sum over all tokens per feature
// vector, with the feature vectors split over the threads.
#pragma once

#include <utility>

#include "schedules/cpu_common.h"
#include "schedules/layernorm_stages.h"

namespace gomhc {

inline void schedule_layernorm_forward_cpu(LayernormForwardStages &s, const ScheduleKnobs &knobs) {
    for (Func per_token : {s.mean, s.rstd}) {
        cpu_token_tasks(per_token, s.t, knobs);
    }
    s.sum.compute_at(s.mean, s.t);
    s.square_sum.compute_at(s.rstd, s.t);
    cpu_token_tasks(s.y, s.t, knobs);
    s.y.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
}

inline void schedule_layernorm_backward_cpu(LayernormBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.dx, s.t, knobs);
    s.dx.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    s.scaled_sum.compute_at(s.dx, s.t);
    s.scaled_normalized_sum.compute_at(s.dx, s.t);
    for (auto [out, sum] : {std::pair{s.dgamma, s.dgamma_sum}, std::pair{s.dbeta, s.dbeta_sum}}) {
        Var c_task("c_task");
        out.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
        sum.compute_root().vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
        sum.update()
            .split(s.c, c_task, s.c, knobs.vector_width, TailStrategy::GuardWithIf)
            .vectorize(s.c)
            .parallel(c_task);
    }
}

}  // namespace gomhc
