// CPU schedule of the Cayley map.
//
// A token's work is a small dense solve (n <= 64), far too small to spread
// over SIMD lanes inside one matrix. So the lanes run across tokens: a block
// of vector_width tokens is solved together, its matrices stored token
// innermost, and blocks of tokens_per_task tokens are handed to threads.
#pragma once

#include <vector>

#include "schedules/cayley_stages.h"
#include "schedules/stages.h"

namespace gomhc {

// Up to this n a specialised kernel unrolls its per-token loops over rows,
// columns and sums: every buffer index folds to a constant. Past it (n = 32)
// the unrolled bodies spill or outgrow the registers and run slower.
constexpr int kMaxUnrolledN = 16;

inline bool unrolled_n(int n_fixed) { return n_fixed > 0 && n_fixed <= kMaxUnrolledN; }

inline void schedule_cayley_forward_cpu(CayleyForwardStages &s, const ScheduleKnobs &knobs,
                                        int n_fixed) {
    Var t_task("t_task"), t_inner("t_inner"), t_block("t_block"), t_lane("t_lane");
    const int lanes = knobs.vector_width;
    const bool unrolled = unrolled_n(n_fixed);
    s.q.split(s.t, t_task, t_inner, knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .split(t_inner, t_block, t_lane, lanes, TailStrategy::GuardWithIf)
        .parallel(t_task);
    // Q is stored row-major per token, the block token innermost: writing it
    // with lanes across tokens scatters every vector (Halide 14 emits one
    // scalar store per lane). With n a multiple of 4, the lanes run along a
    // row of Q instead, one dense store per row and token, and the strided
    // read comes from the block's small buffer in L1.
    if (n_fixed >= 4 && n_fixed % 4 == 0) {
        s.q.reorder(s.col, t_lane, s.row, t_block, t_task).vectorize(s.col).unroll(t_lane);
    } else {
        s.q.reorder(t_lane, s.col, s.row, t_block, t_task).vectorize(t_lane);
    }

    // Every per-block stage holds exactly `lanes` tokens, also for the last,
    // partial block (its extra lanes repeat the last token), so all strides
    // are compile-time constants.
    std::vector<Func> per_block = {s.params_t, s.system, s.solved};
    per_block.insert(per_block.end(), s.gram_error.begin(), s.gram_error.end());
    per_block.insert(per_block.end(), s.correction.begin(), s.correction.end());
    per_block.insert(per_block.end(), s.refined.begin(), s.refined.end());
    if (!unrolled) {
        // Unrolled, the correction reads the mirrored E straight from the
        // upper triangle at constant offsets (gram_error_full is inlined);
        // otherwise the mirror is a pass of its own, which keeps the min/max
        // index arithmetic out of the n^3 loop.
        per_block.insert(per_block.end(), s.gram_error_full.begin(), s.gram_error_full.end());
    }
    for (Func f : per_block) {
        f.compute_at(s.q, t_block).bound_extent(s.t, lanes).vectorize(s.t, lanes);
    }
    for (int pass = 0; pass < 2; pass++) {
        RDom e = pass == 0 ? s.forward_elimination : s.back_substitution;
        RVar j = e.x, k = e.y, r = e.z;
        s.system.update(pass).reorder(s.t, j, k, r).vectorize(s.t, lanes, TailStrategy::RoundUp);
        if (unrolled) {
            // One statement updates the n columns of a row for all of the
            // block's tokens. Halide cannot prove the columns independent,
            // but they are: within one (k, r) the n columns write n distinct
            // entries of row r and read only themselves, column k of row r
            // and row k, none of which another column of the same pass
            // writes. With k and r unrolled too, every address is a
            // constant, so LLVM keeps the row being reduced in registers
            // across its k passes instead of storing and reloading it after
            // each. Past kMaxUnrolledN the unrolled row is slower, so there
            // the loops stay.
            s.system.update(pass).allow_race_conditions().vectorize(j).unroll(k).unroll(r);
        }
    }
    if (n_fixed > 0) {
        // Unrolling the set-up folds its index arithmetic (which pair,
        // which sign) to constants, leaving one vector copy per entry.
        s.system.unroll(s.col);
        if (unrolled) {
            s.system.unroll(s.row);
        }
    }
    for (size_t step = 0; step < s.refined.size(); step++) {
        for (auto [f, sum] : {std::pair{s.gram_error[step], s.gram_sum},
                              std::pair{s.correction[step], s.refine_sum}}) {
            f.update()
                .reorder(s.t, sum.x, s.col, s.row)
                .vectorize(s.t, lanes, TailStrategy::RoundUp);
            if (unrolled) {
                f.update().unroll(sum.x);
            }
        }
        if (unrolled) {
            s.correction[step].update().unroll(s.col);
        }
    }
}

inline void schedule_cayley_backward_cpu(CayleyBackwardStages &s, const ScheduleKnobs &knobs,
                                         int n_fixed) {
    Var t_task("t_task"), t_inner("t_inner"), t_block("t_block"), t_lane("t_lane");
    const int lanes = knobs.vector_width;
    s.dparams.split(s.t, t_task, t_inner, knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .split(t_inner, t_block, t_lane, lanes, TailStrategy::GuardWithIf)
        .reorder(t_lane, s.k, t_block, t_task)
        .vectorize(t_lane)
        .parallel(t_task);

    for (Func f : {s.qt, s.gt, s.w, s.grad_a}) {
        f.compute_at(s.dparams, t_block).bound_extent(s.t, lanes).vectorize(s.t, lanes);
    }
    s.w.update().reorder(s.t, s.w_sum.x, s.col, s.row).vectorize(s.t, lanes, TailStrategy::RoundUp);
    s.grad_a.update()
        .reorder(s.t, s.a_sum.x, s.col, s.row)
        .vectorize(s.t, lanes, TailStrategy::RoundUp);
    if (unrolled_n(n_fixed)) {
        s.w.update().unroll(s.w_sum.x);
        s.grad_a.update().unroll(s.a_sum.x);
    }
}

}  // namespace gomhc
