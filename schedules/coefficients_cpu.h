// CPU schedule of the coefficient path.
//
// Its cost is two small GEMMs over the d*C-long rows of X (forward: z = x W^T;
// backward: du W and the token sum du^T x). Each is register-tiled so that
// one vector load feeds several FMAs: the forward keeps vector_width partial
// sums per (token, coefficient) of a tile_tokens x tile_coefficients tile;
// dx keeps a vector of features for tile_tokens tokens; dw keeps a vector of
// features for tile_coefficients coefficients over a block of token_block
// tokens. The
// per-token pieces (1/rms, the activations, dH_pre) are small and computed
// once, at root or per token tile.
#pragma once

#include "schedules/coefficients_stages.h"
#include "schedules/stages.h"
#include "schedules/stream_mixing_cpu.h"

namespace gomhc {

inline void schedule_coefficients_forward_cpu(CoefficientsForwardStages &s,
                                              const ScheduleKnobs &knobs, int tile_tokens,
                                              int tile_coefficients) {
    // One task does everything for its tokens_per_task tokens: their
    // coefficients, the small outputs, and then y, whose pass over the same
    // rows of X finds them in cache. (With the coefficients computed at root
    // and y in a loop of its own, y re-read X from memory.)
    Var t_tile("t_tile"), k_tile("k_tile");
    const Var t_task = cpu_token_tasks(s.y, s.t, knobs);
    for (Func f : {s.h_pre, s.h_post, s.logits, s.z, s.inv_rms}) {
        cpu_token_tasks(f, s.t, knobs);
        f.compute_with(s.y, t_task);
    }
    // Rounding the tiles up is safe: the algorithm clamps its reads, and the
    // extra tokens and coefficients are never stored to an output.
    s.coefficient.compute_at(s.y, t_task)
        .store_in(MemoryType::Stack)
        .split(s.t, t_tile, s.t, tile_tokens, TailStrategy::RoundUp)
        .split(s.k, k_tile, s.k, tile_coefficients, TailStrategy::RoundUp)
        .reorder(s.k, s.t, k_tile, t_tile);

    s.lanes.compute_at(s.coefficient, k_tile).vectorize(s.lane).unroll(s.k).unroll(s.t);
    s.lanes.update()
        .reorder(s.lane, s.k, s.t, s.full_vectors.x, s.full_vectors.y)
        .vectorize(s.lane)
        .unroll(s.k)
        .unroll(s.t);
    s.lanes_tail.compute_at(s.coefficient, k_tile);

    // 1/rms once per token tile; its pass over the tile's rows also brings
    // them into cache for the dot products.
    s.inverse_rms.compute_at(s.coefficient, t_tile);
    s.square_lanes.compute_at(s.coefficient, t_tile).vectorize(s.lane);
    s.square_lanes.update()
        .reorder(s.lane, s.t, s.full_vectors.x, s.full_vectors.y)
        .vectorize(s.lane);
    s.square_tail.compute_at(s.coefficient, t_tile);

    // H_pre once per token for y (the h_pre output computes it again, d
    // sigmoids per token; inlined into y it would be d per feature).
    s.pre_gate.in(s.y_sum).compute_at(s.y, s.t).store_in(MemoryType::Stack);
    cpu_stream_sum(s.y, s.y_sum, s.c, s.streams, 0, knobs);
}

// A register tile of `features` (two vectors) by `tile` along `other`, with
// reduction `r` innermost-but-one: the tile has a fixed size (bound_extent),
// so it stays in registers, and each loaded vector feeds `tile` FMAs.
inline void cpu_register_tile(Func f, Var c, Var other, RVar r, int features, int tile,
                              const ScheduleKnobs &knobs) {
    Var c_pair("c_pair");
    f.bound_extent(c, features)
        .bound_extent(other, tile)
        .split(c, c_pair, c, knobs.vector_width)
        .vectorize(c)
        .unroll(c_pair)
        .unroll(other);
    f.update()
        .split(c, c_pair, c, knobs.vector_width)
        .reorder(c, c_pair, other, r)
        .vectorize(c)
        .unroll(c_pair)
        .unroll(other);
}

// A contiguous copy of `features` features (the first dimension) of
// `packed`, made once per iteration of `at`'s loop `level`. Its size follows
// the run-time K or token count, so Halide would heap-allocate it on every
// iteration; a Stack buffer is allocated once per task and reused.
inline void cpu_pack_features(Func packed, Func at, Var level, int features,
                              const ScheduleKnobs &knobs) {
    const Var c = packed.args()[0];
    packed.compute_at(at, level)
        .store_in(MemoryType::Stack)
        .bound_extent(c, features)
        .vectorize(c, knobs.vector_width);
}

inline void schedule_coefficients_backward_cpu(CoefficientsBackwardStages &s,
                                               const ScheduleKnobs &knobs, int tile_tokens,
                                               int tile_coefficients, int token_block,
                                               int features_per_task, bool pack_weights) {
    s.dh_pre.compute_root();
    cpu_token_tasks(s.dh_pre, s.t, knobs);
    cpu_feature_sum(s.dh_pre_sum, s.features, s.t, s.dh_pre, knobs);
    // The per-coefficient gradients, K per token, on both threads (g is
    // inlined into its two consumers).
    for (Func f : {s.activation_grad, s.du}) {
        f.compute_root().vectorize(s.k, knobs.vector_width, TailStrategy::GuardWithIf);
        cpu_token_tasks(f, s.t, knobs);
    }
    s.gz.compute_root();
    cpu_token_tasks(s.gz, s.t, knobs);
    s.gz_sum.compute_at(s.gz, s.t);

    // dx: two vectors of features times tile_tokens tokens per register tile
    // (fixed-size, so it stays in registers; the edge tiles read clamped).
    // Each loaded vector of W then feeds tile_tokens FMAs, each broadcast du
    // two. With pack_weights, the product of a whole task is computed first,
    // feature column by feature column with the token tiles innermost, so the
    // K rows of W under one column are packed once (contiguously: with d*C a
    // multiple of 1024 the rows all fall in one L1 set) and reused by every
    // tile; dx then adds it to dx_in, x and dy walking each token's rows in
    // order. (Adding per tile instead read four rows of every token of the
    // task one cache line at a time, and that walk, not the product, took
    // most of the time.) Packing pays for wide K; for narrow K the product is
    // cheap and each token's rows are walked in order with no packing.
    Var t_tile("t_tile"), c_vector("c_vector");
    const int dx_features = 2 * knobs.vector_width;
    Var t_task = cpu_token_tasks(s.dx, s.t, knobs);
    Func tiled = s.dx;  // the Func whose loops hold the register tiles
    if (pack_weights) {
        s.dx.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
        tiled = s.dx_product.in(s.dx);
        tiled.compute_at(s.dx, t_task);
    }
    tiled.split(s.t, t_tile, s.t, tile_tokens, TailStrategy::GuardWithIf)
        .split(s.c, c_vector, s.c, dx_features, TailStrategy::GuardWithIf)
        .vectorize(s.c, knobs.vector_width);
    if (pack_weights) {
        tiled.reorder(s.c, s.t, t_tile, c_vector, s.j);
        s.dx_product.compute_at(tiled, t_tile);
        cpu_pack_features(s.w_edge.in(s.dx_product), tiled, c_vector, dx_features, knobs);
    } else {
        s.dx.reorder(s.c, s.t, c_vector, s.j, t_tile);
        s.dx_product.compute_at(s.dx, c_vector);
    }
    cpu_register_tile(s.dx_product, s.c, s.t, s.coefficients.x, dx_features, tile_tokens, knobs);

    // dw: each task owns features_per_task features of one stream and walks
    // every block of tokens; per block and feature vector, a tile of
    // tile_coefficients coefficients accumulates the block in registers
    // (dw_block) and is then added to the task's part of dw_sum, which stays
    // in cache. (Running the blocks outermost, in parallel over streams only,
    // re-read all of dw_sum per block and left a thread idle at each of the
    // T/token_block joins.) The block's column of X is packed first, for the
    // same L1-set reason as W above.
    Var k_tile("k_tile"), c_task("c_task"), task("task");
    const int dw_features = 2 * knobs.vector_width;  // two vectors per tile
    s.dw_sum.compute_root().vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    s.dw_sum.update()
        .split(s.c, c_task, s.c, features_per_task, TailStrategy::GuardWithIf)
        .split(s.c, c_vector, s.c, dw_features, TailStrategy::GuardWithIf)
        .split(s.k, k_tile, s.k, tile_coefficients, TailStrategy::GuardWithIf)
        .reorder(s.c, s.k, k_tile, c_vector, s.blocks.x, c_task, s.j)
        .fuse(c_task, s.j, task)
        .vectorize(s.c, knobs.vector_width)
        .unroll(s.k)
        .parallel(task);
    s.dw_block.compute_at(s.dw_sum, k_tile);
    cpu_register_tile(s.dw_block, s.c, s.k, s.in_block.x, dw_features, tile_coefficients, knobs);
    cpu_pack_features(s.x_edge.in(s.dw_block), s.dw_sum, c_vector, dw_features, knobs);
    s.dw.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf).parallel(s.k);

    s.db_sum.compute_root();
    s.da_sum.compute_root();
}

}  // namespace gomhc
