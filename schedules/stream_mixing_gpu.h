// GPU schedule of stream mixing.
//
// Feature-parallel outputs (y, X_next, dX, df): a block covers gpu_threads
// consecutive features of gpu_tokens tokens, so loads and stores coalesce;
// each thread sums its streams in registers. Feature reductions (dH_pre,
// dH_res, dH_post): one thread per output cell walks the features.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/stream_mixing_stages.h"

namespace gomhc {

inline void gpu_feature_tiles(Func out, Func sum, Var c, Var t, RDom streams, bool fixed_d,
                              const ScheduleKnobs &knobs) {
    Var c_block("c_block"), c_thread("c_thread"), t_block("t_block"), t_thread("t_thread");
    out.gpu_tile(c, t, c_block, t_block, c_thread, t_thread, knobs.gpu_threads, knobs.gpu_tokens,
                 TailStrategy::GuardWithIf);
    if (sum.defined()) {
        sum.compute_at(out, c_thread);
        if (fixed_d) {
            sum.update().unroll(streams.x);
        }
    }
}

inline void schedule_stream_read_forward_gpu(StreamReadForwardStages &s,
                                             const ScheduleKnobs &knobs) {
    gpu_feature_tiles(s.y, s.y_sum, s.c, s.t, s.streams, s.d_fixed > 0, knobs);
}

inline void schedule_stream_read_backward_gpu(StreamReadBackwardStages &s,
                                              const ScheduleKnobs &knobs) {
    gpu_feature_tiles(s.dx, Func(), s.c, s.t, RDom(), s.d_fixed > 0, knobs);
    gpu_thread_per_element(s.dh_pre, knobs);
}

inline void schedule_stream_sum_backward_gpu(StreamSumBackwardStages &s,
                                             const ScheduleKnobs &knobs) {
    gpu_feature_tiles(s.dx, Func(), s.c, s.t, RDom(), s.d_fixed > 0, knobs);
}

inline void schedule_stream_write_forward_gpu(StreamWriteForwardStages &s,
                                              const ScheduleKnobs &knobs) {
    gpu_feature_tiles(s.x_next, s.mixed, s.c, s.t, s.streams, s.d_fixed > 0, knobs);
}

inline void schedule_stream_write_backward_gpu(StreamWriteBackwardStages &s,
                                               const ScheduleKnobs &knobs) {
    gpu_feature_tiles(s.dx, s.dx_sum, s.c, s.t, s.streams, s.d_fixed > 0, knobs);
    gpu_feature_tiles(s.df, s.df_sum, s.c, s.t, s.streams, s.d_fixed > 0, knobs);
    gpu_thread_per_element(s.dh_res, knobs);
    gpu_thread_per_element(s.dh_post, knobs);
}

}  // namespace gomhc
