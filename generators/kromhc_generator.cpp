// KromHC's residual mixer (docs/math.md section 3): a Kronecker product of m = log2 d
// doubly stochastic 2 x 2 factors B_l = [[t_l, 1 - t_l], [1 - t_l, t_l]],
// t_l = sigmoid(logit_l), B_0 acting on the most significant bit:
//   H[i][j] = prod_l (bit_l(i) == bit_l(j) ? t_l : 1 - t_l)
// Backward, without dividing by a factor (t_l can round to 0 or 1):
//   dlogit_l = t_l (1 - t_l) sum_ij dH[i][j] (same bit ? 1 : -1) prod_{l' != l} factor_l'
#include "common.h"
#include "schedules/kromhc_cpu.h"
#include "schedules/kromhc_gpu.h"

namespace gomhc {
namespace {

constexpr int kEstimateLevels = 2;  // d = 4

Expr sigmoid(Expr v) { return 1.0f / (1.0f + exp(-v)); }

// bit_l(i), level 0 being the most significant of m bits.
Expr level_bit(Expr i, Expr l, Expr m) { return (i >> (m - 1 - l)) & 1; }

// The diagonal entry t_l = sigmoid(logit_l) of each factor, once per token
// and level: every cell of H reuses it.
Func factor_diagonals(const GeneratorInput<Buffer<float>> &logits, Var l, Var t) {
    Func diagonal("diagonal");
    diagonal(l, t) = sigmoid(logits(l, t));
    return diagonal;
}

// The entry (row, col) of factor l.
Expr factor_entry(Func diagonal, Expr l, Expr col, Expr row, Expr t, Expr m) {
    Expr tl = diagonal(l, t);
    return select(level_bit(row, l, m) == level_bit(col, l, m), tl, 1.0f - tl);
}

class KromhcForward : public GomhcGenerator<KromhcForward> {
public:
    Input<int> d_runtime{"d_runtime", 2, 2, kMaxN};
    Input<Buffer<float>> logits{"logits", 2};  // (l, token), l < m = log2 d
    Output<Buffer<float>> h{"h", 3};           // (col, row, token)

    void generate() {
        Var col("col"), row("row"), t("t"), l("l");
        Expr m = logits.dim(0).extent();
        Func diagonal = factor_diagonals(logits, l, t);
        RDom levels(0, m, "levels");
        Func product("product");
        product(col, row, t) = 1.0f;
        product(col, row, t) *= factor_entry(diagonal, levels, col, row, t, m);
        h(col, row, t) = product(col, row, t);

        d_runtime.set_estimate(kEstimateStreams);
        logits.set_estimates({{0, kEstimateLevels}, {0, kEstimateTokens}});
        h.set_estimates({{0, kEstimateStreams}, {0, kEstimateStreams}, {0, kEstimateTokens}});
        stages = KromhcForwardStages{h, product, diagonal, levels, col, row, t, l};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_kromhc_forward_gpu(stages, knobs());
        } else {
            schedule_kromhc_forward_cpu(stages, knobs());
        }
    }

private:
    KromhcForwardStages stages;
};

class KromhcBackward : public GomhcGenerator<KromhcBackward> {
public:
    Input<int> d_runtime{"d_runtime", 2, 2, kMaxN};
    Input<Buffer<float>> logits{"logits", 2};     // (l, token)
    Input<Buffer<float>> dh{"dh", 3};             // (col, row, token)
    Output<Buffer<float>> dlogits{"dlogits", 2};  // (l, token)

    void generate() {
        Var col("col"), row("row"), t("t"), l("l");
        Expr m = logits.dim(0).extent();
        Func diagonal = factor_diagonals(logits, l, t);
        RDom levels(0, m, "levels");
        Func others("others");  // product over the other levels
        others(l, col, row, t) = 1.0f;
        others(l, col, row, t) *=
            select(levels == l, 1.0f, factor_entry(diagonal, levels, col, row, t, m));
        RDom cells(0, d_runtime, 0, d_runtime, "cells");
        Expr same = level_bit(cells.y, l, m) == level_bit(cells.x, l, m);
        Func level_sum("level_sum");
        level_sum(l, t) = 0.0f;
        level_sum(l, t) +=
            dh(cells.x, cells.y, t) * select(same, 1.0f, -1.0f) * others(l, cells.x, cells.y, t);
        dlogits(l, t) = diagonal(l, t) * (1.0f - diagonal(l, t)) * level_sum(l, t);

        d_runtime.set_estimate(kEstimateStreams);
        logits.set_estimates({{0, kEstimateLevels}, {0, kEstimateTokens}});
        dh.set_estimates({{0, kEstimateStreams}, {0, kEstimateStreams}, {0, kEstimateTokens}});
        dlogits.set_estimates({{0, kEstimateLevels}, {0, kEstimateTokens}});
        stages = KromhcBackwardStages{dlogits, level_sum, others, diagonal, levels,
                                      cells,   col,       row,    t,        l};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_kromhc_backward_gpu(stages, knobs());
        } else {
            schedule_kromhc_backward_cpu(stages, knobs());
        }
    }

private:
    KromhcBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::KromhcForward, kromhc_forward)
HALIDE_REGISTER_GENERATOR(gomhc::KromhcBackward, kromhc_backward)
