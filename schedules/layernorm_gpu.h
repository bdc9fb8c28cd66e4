// GPU schedule of LayerNorm, plain and correct first: one thread per token
// for the per-token sums, one per element of y and dx, one per feature for
// dgamma and dbeta (each walking every token).
#pragma once

#include <utility>

#include "schedules/gpu_common.h"
#include "schedules/layernorm_stages.h"

namespace gomhc {

inline void schedule_layernorm_forward_gpu(LayernormForwardStages &s, const ScheduleKnobs &knobs) {
    s.sum.compute_at(s.mean, gpu_thread_per_element(s.mean, knobs));
    s.square_sum.compute_at(s.rstd, gpu_thread_per_element(s.rstd, knobs));
    gpu_thread_per_element(s.y, knobs);
}

inline void schedule_layernorm_backward_gpu(LayernormBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    for (Func per_token : {s.scaled_sum, s.scaled_normalized_sum}) {
        per_token.compute_root();
        gpu_thread_per_element(per_token, knobs);
        per_token.update().gpu_tile(s.t, Var("block"), Var("thread"), knobs.gpu_threads,
                                    TailStrategy::GuardWithIf);
    }
    gpu_thread_per_element(s.dx, knobs);
    for (auto [out, sum] : {std::pair{s.dgamma, s.dgamma_sum}, std::pair{s.dbeta, s.dbeta_sum}}) {
        gpu_thread_per_element(out, knobs);
        sum.compute_root();
        gpu_thread_per_element(sum, knobs);
        sum.update().gpu_tile(s.c, Var("block"), Var("thread"), knobs.gpu_threads,
                              TailStrategy::GuardWithIf);
    }
}

}  // namespace gomhc
