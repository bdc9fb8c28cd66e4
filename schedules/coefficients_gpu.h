// GPU schedule of the coefficient path.
//
// Plain and correct first: one thread per output element. A coefficient's
// dot product runs in one thread (the threads of a warp take neighbouring
// coefficients of one token, so X's loads are broadcasts); dx and dw take
// a block of neighbouring features per token or coefficient, so their loads
// coalesce, and walk the short axis (streams) serially. Every reduction stays
// in one thread's registers.
#pragma once

#include <algorithm>
#include <vector>

#include "schedules/coefficients_stages.h"
#include "schedules/gpu_common.h"
#include "schedules/stream_mixing_gpu.h"

namespace gomhc {

inline void schedule_coefficients_forward_gpu(CoefficientsForwardStages &s,
                                              const ScheduleKnobs &knobs) {
    Var k_block("k_block"), t_block("t_block"), k_thread("k_thread"), t_thread("t_thread");
    // A warp's worth of coefficients of a few tokens per block.
    const int coefficient_threads = 32;
    s.coefficient.compute_root().gpu_tile(
        s.k, s.t, k_block, t_block, k_thread, t_thread, coefficient_threads,
        std::max(1, knobs.gpu_threads / coefficient_threads), TailStrategy::GuardWithIf);
    for (Func f : {s.lanes, s.lanes_tail, s.square_lanes, s.square_tail, s.inverse_rms}) {
        f.compute_at(s.coefficient, k_thread);
    }
    // H_pre for y once per token, as the h_pre output is.
    s.pre_gate.compute_root();
    for (Func f : {s.z, s.inv_rms, s.h_pre, s.h_post, s.logits, s.pre_gate}) {
        gpu_thread_per_element(f, knobs);
    }
    gpu_feature_tiles(s.y, s.y_sum, s.c, s.t, s.streams, false, knobs);
}

inline void schedule_coefficients_backward_gpu(CoefficientsBackwardStages &s,
                                               const ScheduleKnobs &knobs) {
    for (Func f : {s.activation_grad, s.g, s.du}) {
        f.compute_root();
        gpu_thread_per_element(f, knobs);
    }
    // Each thread walks its reduction in registers.
    s.dh_pre.compute_root();
    s.dh_pre_sum.compute_at(s.dh_pre, gpu_thread_per_element(s.dh_pre, knobs));
    s.gz.compute_root();
    s.gz_sum.compute_at(s.gz, gpu_thread_per_element(s.gz, knobs));
    s.db_sum.compute_at(s.db, gpu_thread_per_element(s.db, knobs));
    s.da_sum.compute_at(s.da, gpu_thread_per_element(s.da, knobs));

    Var c_block("c_block"), c_thread("c_thread"), o_block("o_block"), o_thread("o_thread");
    s.dx.gpu_tile(s.c, s.t, c_block, o_block, c_thread, o_thread, knobs.gpu_threads,
                  knobs.gpu_tokens, TailStrategy::GuardWithIf)
        .reorder(s.j, c_thread, o_thread, c_block, o_block);
    s.dx_product.compute_at(s.dx, s.j);
    s.dw.gpu_tile(s.c, s.k, c_block, o_block, c_thread, o_thread, knobs.gpu_threads, 1,
                  TailStrategy::GuardWithIf)
        .reorder(s.j, c_thread, o_thread, c_block, o_block);
    s.dw_sum.compute_at(s.dw, s.j);
    s.dw_block.compute_at(s.dw, s.j);
}

}  // namespace gomhc
