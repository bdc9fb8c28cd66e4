// GPU schedule of the causal softmax: one thread per row for its sums,
// one per entry for the outputs.
#pragma once

#include "schedules/causal_softmax_stages.h"
#include "schedules/gpu_common.h"

namespace gomhc {

namespace detail {
// A per-row reduction (q, h) computed at root, one thread per row.
inline void gpu_thread_per_row(Func sum, Var q, Var h, const ScheduleKnobs &knobs) {
    Var row("row"), block("block"), thread("thread");
    sum.compute_root();
    gpu_thread_per_element(sum, knobs);
    sum.update().fuse(q, h, row).gpu_tile(row, block, thread, knobs.gpu_threads,
                                          TailStrategy::GuardWithIf);
}
}  // namespace detail

inline void schedule_causal_softmax_forward_gpu(CausalSoftmaxForwardStages &s,
                                                const ScheduleKnobs &knobs) {
    detail::gpu_thread_per_row(s.largest, s.q, s.h, knobs);
    detail::gpu_thread_per_row(s.exp_sum, s.q, s.h, knobs);
    gpu_thread_per_element(s.probs, knobs);
}

inline void schedule_causal_softmax_backward_gpu(CausalSoftmaxBackwardStages &s,
                                                 const ScheduleKnobs &knobs) {
    detail::gpu_thread_per_row(s.dot, s.q, s.h, knobs);
    gpu_thread_per_element(s.dscores, knobs);
}

}  // namespace gomhc
