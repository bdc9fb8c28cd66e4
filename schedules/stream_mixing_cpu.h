// CPU schedule of stream mixing.
//
// These ops move d*C floats per token and do d flops per float, so they are
// bandwidth-bound: the schedule's job is to touch each input once. Lanes run
// along the features c; threads take tokens_per_task tokens at a time; and
// the several outputs of a backward are fused token by token (compute_with),
// so a token's rows are read from memory once and reused from cache by every
// output.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "schedules/cpu_common.h"
#include "schedules/stream_mixing_stages.h"

namespace gomhc {

// Sums kept in registers side by side: 8 vector registers, half of AVX2's
// 16 (a quarter of AVX-512's 32), the rest holding the rows being loaded.
// With more, LLVM spills the sums to the stack around every FMA (at d = 16:
// the write backward's d sums of dH_res and the write forward's d rows).
constexpr int kSumRegisters = 8;

// How many vector_width-wide sums fit kSumRegisters of the target's vectors.
inline int sums_in_registers(const ScheduleKnobs &knobs) {
    return std::max(1, kSumRegisters * knobs.natural_lanes / knobs.vector_width);
}

// Unrolls `cells` (a dimension with fixed extent `extent`) in groups of at
// most `group`; returns the Var of the loop over the groups, if any.
inline std::optional<Var> unroll_in_groups(Stage stage, Var cells, int extent, int group) {
    if (extent <= group) {
        stage.unroll(cells);
        return std::nullopt;
    }
    Var cell_group(cells.name() + "_group");
    stage.split(cells, cell_group, cells, group, TailStrategy::GuardWithIf).unroll(cells);
    return cell_group;
}

// A reduction over streams evaluated one feature vector at a time, with the
// accumulator in registers: `sum` is computed per vector of `out` along c.
// With `rows` (a dimension of `out` with fixed extent d) one feature vector
// of `rows_together` rows (at most; default: as many as fit registers) is
// computed at once, so each input vector is loaded once for all those rows
// instead of once per row.
inline void cpu_stream_sum(Func out, Func sum, Var c, RDom streams, int d_fixed,
                           const ScheduleKnobs &knobs, std::optional<Var> rows = std::nullopt,
                           int rows_together = 0) {
    Var c_vector("c_vector");
    out.split(c, c_vector, c, knobs.vector_width, TailStrategy::GuardWithIf).vectorize(c);
    if (rows) {
        const int group = rows_together > 0 ? rows_together : sums_in_registers(knobs);
        std::optional<Var> row_group = unroll_in_groups(out, *rows, d_fixed, group);
        if (row_group) {
            out.reorder(c, *rows, c_vector, *row_group);
        } else {
            out.reorder(c, *rows, c_vector);
        }
    }
    sum.compute_at(out, c_vector).vectorize(c, knobs.vector_width, TailStrategy::GuardWithIf);
    if (rows) {
        sum.unroll(*rows);
        sum.update().reorder(c, streams.x, *rows).unroll(*rows);
    } else {
        sum.update().reorder(c, streams.x);
    }
    sum.update().vectorize(c, knobs.vector_width, TailStrategy::GuardWithIf);
    if (d_fixed > 0) {
        sum.update().unroll(streams.x);
    }
}

// A dot product over the features c for each small output cell: lanes hold
// partial sums of vector_width features, folded at the end (rfactor).
//
// By default the cells are summed one after another, each over all features;
// each sum is then one chain of dependent FMAs, bound by their latency. A
// `side_by_side` dimension of the sum (which needs d fixed, to unroll) is
// accumulated together instead: its cells sit in the innermost loop, just
// inside the feature loop, and the sum's other dimensions stay outside.
//
// For dH_res[i][j] = sum_c dout[i][c] X[j][c] that dimension is i: each row
// X[j] is read from memory once, front to back, while the d rows of dout (in
// cache) meet it. Side by side over j would read the d rows of X
// interleaved, d short streams in each token's page. Sums over d cells only
// (dH_post, dH_pre) gain nothing side by side: their order would read d rows
// of one token interleaved on the pass that first touches them. More chains
// per cell (to hide the FMA latency) help in cache but not from memory.
//
// The side-by-side sums stay in registers only as long as they fit
// (sums_in_registers): with more cells than that, they are summed in groups,
// each group walking the features again (from cache), rather than spilled
// around every FMA. (The measurements behind each choice: docs/benchmarks.md,
// "Stream mixing schedules".)
inline void cpu_feature_sum(Func sum, RDom features, Var at, Func parent,
                            const ScheduleKnobs &knobs,
                            std::optional<Var> side_by_side = std::nullopt, int d_fixed = 0) {
    RVar f_vector("f_vector"), f_lane("f_lane");
    Var lane("lane");
    Func partial =
        sum.update()
            .split(features.x, f_vector, f_lane, knobs.vector_width, TailStrategy::GuardWithIf)
            .rfactor(f_lane, lane);
    // rfactor appends `lane` as the outermost dimension; store it innermost
    // so each partial sum is one dense vector.
    std::vector<Var> storage = partial.args();
    std::rotate(storage.begin(), storage.end() - 1, storage.end());
    partial.reorder_storage(storage);
    // Stack: with a run-time d these are sized at run time, and Halide would
    // otherwise heap-allocate them at every iteration of `at`.
    sum.compute_at(parent, at).store_in(MemoryType::Stack);
    partial.compute_at(parent, at).store_in(MemoryType::Stack).vectorize(lane);
    partial.update().vectorize(lane);
    if (side_by_side) {
        std::vector<VarOrRVar> order = {lane, *side_by_side, f_vector};
        std::optional<Var> group =
            unroll_in_groups(partial.update(), *side_by_side, d_fixed, sums_in_registers(knobs));
        if (group) {
            order.push_back(*group);
        }
        for (const Var &v : sum.args()) {
            if (v.name() != side_by_side->name()) {
                order.push_back(v);
            }
        }
        partial.update().reorder(order);
    }
}

inline void schedule_stream_read_forward_cpu(StreamReadForwardStages &s,
                                             const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.y, s.t, knobs);
    cpu_stream_sum(s.y, s.y_sum, s.c, s.streams, s.d_fixed, knobs);
}

inline void schedule_stream_read_backward_cpu(StreamReadBackwardStages &s,
                                              const ScheduleKnobs &knobs) {
    Var t_task = cpu_token_tasks(s.dx, s.t, knobs);
    s.dx.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    cpu_token_tasks(s.dh_pre, s.t, knobs);
    s.dh_pre.compute_with(s.dx, t_task);
    cpu_feature_sum(s.dh_pre_sum, s.features, t_task, s.dx, knobs);
}

inline void schedule_stream_sum_backward_cpu(StreamSumBackwardStages &s,
                                             const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.dx, s.t, knobs);
    s.dx.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    if (s.d_fixed > 0) {
        s.dx.unroll(s.j);
    }
}

// With d fixed, the output rows are computed together (cpu_stream_sum's
// rows, as many as fit registers): X[j] and f are loaded once per feature
// vector where a row at a time reloaded them (from cache) d times.
inline void schedule_stream_write_forward_cpu(StreamWriteForwardStages &s,
                                              const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.x_next, s.t, knobs);
    cpu_stream_sum(s.x_next, s.mixed, s.c, s.streams, s.d_fixed, knobs,
                   s.d_fixed > 0 ? std::optional<Var>(s.i) : std::nullopt);
}

// dX row by row unless dx_rows > 1: computing its rows together loads each
// vector of dout once for all of them but interleaves their store streams,
// which pays only where a token's dout no longer fits L1 (d = 16 at
// C = 768); the tuner sets it per kernel.
inline void schedule_stream_write_backward_cpu(StreamWriteBackwardStages &s,
                                               const ScheduleKnobs &knobs, int dx_rows) {
    Var t_task;
    for (Func out : {s.dx, s.df, s.dh_res, s.dh_post}) {
        t_task = cpu_token_tasks(out, s.t, knobs);
    }
    const bool rows_together = s.d_fixed > 0 && dx_rows > 1;
    cpu_stream_sum(s.dx, s.dx_sum, s.c, s.streams, s.d_fixed, knobs,
                   rows_together ? std::optional<Var>(s.j) : std::nullopt, dx_rows);
    cpu_stream_sum(s.df, s.df_sum, s.c, s.streams, s.d_fixed, knobs);
    s.df.compute_with(s.dx, t_task);
    s.dh_res.compute_with(s.df, t_task);
    s.dh_post.compute_with(s.dh_res, t_task);
    cpu_feature_sum(s.dh_res_sum, s.features, t_task, s.dx, knobs,
                    s.d_fixed > 0 ? std::optional<Var>(s.i) : std::nullopt, s.d_fixed);
    cpu_feature_sum(s.dh_post_sum, s.features, t_task, s.dx, knobs);
}

}  // namespace gomhc
