// mHC-lite's residual mixer (docs/math.md section 3): a convex combination of all d!
// permutation matrices, with softmax weights.
//
// Forward:  w = softmax(logits);  H[i][j] = sum_k w_k [perm_k(i) == j]
// Backward: g_k = sum_i dH[i][perm_k(i)];  dlogit_k = w_k (g_k - sum_m w_m g_m)
// The permutation table [P][d] is an input (the runtime enumerates it), so
// one kernel serves every d; d is fixed at generation time when > 0.
#include "common.h"
#include "schedules/permutation_mix_cpu.h"
#include "schedules/permutation_mix_gpu.h"

namespace gomhc {
namespace {

constexpr int kEstimatePermutations = 24;  // 4!

// The softmax weights of every token's logits, computed stably.
Func softmax_weights(const GeneratorInput<Buffer<float>> &logits, Var k, Var t,
                     PermutationMixWeights &parts) {
    RDom all(0, logits.dim(0).extent(), "all");
    parts.largest = Func("largest");
    parts.largest(t) = maximum(logits(all, t));
    parts.exponential = Func("exponential");
    parts.exponential(k, t) = exp(logits(k, t) - parts.largest(t));
    parts.total = Func("total");
    parts.total(t) = sum(parts.exponential(all, t));
    Func w("w");
    w(k, t) = parts.exponential(k, t) / parts.total(t);
    parts.all = all;
    return w;
}

class PermutationMixForward : public GomhcGenerator<PermutationMixForward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<int> d_runtime{"d_runtime", 1, 1, kMaxMhcLiteD};
    Input<Buffer<int32_t>> permutations{"permutations", 2};  // (i, k): perm_k(i)
    Input<Buffer<float>> logits{"logits", 2};                // (k, token)
    Output<Buffer<float>> h{"h", 3};                         // (col, row, token)

    void generate() {
        Var col("col"), row("row"), k("k"), t("t");
        PermutationMixWeights parts;
        Func w = softmax_weights(logits, k, t, parts);
        RDom perms(0, logits.dim(0).extent(), "perms");
        Func mixed("mixed");
        mixed(col, row, t) = 0.0f;
        mixed(col, row, t) += select(permutations(row, perms) == col, w(perms, t), 0.0f);
        h(col, row, t) = mixed(col, row, t);

        const int d_est = d_fixed > 0 ? int(d_fixed) : kEstimateStreams;
        if (d_fixed > 0) {
            permutations.dim(0).set_bounds(0, d_fixed);
            fix_matrices(h, d_fixed);
        }
        d_runtime.set_estimate(d_est);
        permutations.set_estimates({{0, d_est}, {0, kEstimatePermutations}});
        logits.set_estimates({{0, kEstimatePermutations}, {0, kEstimateTokens}});
        h.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        stages = PermutationMixForwardStages{h, mixed, w, parts, perms, col, row, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_permutation_mix_forward_gpu(stages, knobs());
        } else {
            schedule_permutation_mix_forward_cpu(stages, knobs());
        }
    }

private:
    PermutationMixForwardStages stages;
};

class PermutationMixBackward : public GomhcGenerator<PermutationMixBackward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<int> d_runtime{"d_runtime", 1, 1, kMaxMhcLiteD};
    Input<Buffer<int32_t>> permutations{"permutations", 2};  // (i, k)
    Input<Buffer<float>> logits{"logits", 2};                // (k, token)
    Input<Buffer<float>> dh{"dh", 3};                        // (col, row, token)
    Output<Buffer<float>> dlogits{"dlogits", 2};             // (k, token)

    void generate() {
        Var k("k"), t("t");
        Expr d = d_fixed > 0 ? Expr(int(d_fixed)) : Expr(d_runtime);
        PermutationMixWeights parts;
        Func w = softmax_weights(logits, k, t, parts);
        RDom rows(0, d, "rows");
        Func picked("picked");  // g_k: dH read along permutation k
        picked(k, t) = 0.0f;
        picked(k, t) += dh(clamp(permutations(rows, k), 0, d - 1), rows, t);
        Func mean("mean");  // sum_m w_m g_m
        mean(t) = 0.0f;
        mean(t) += w(parts.all, t) * picked(parts.all, t);
        dlogits(k, t) = w(k, t) * (picked(k, t) - mean(t));

        const int d_est = d_fixed > 0 ? int(d_fixed) : kEstimateStreams;
        if (d_fixed > 0) {
            permutations.dim(0).set_bounds(0, d_fixed);
            fix_matrices(dh, d_fixed);
        }
        d_runtime.set_estimate(d_est);
        permutations.set_estimates({{0, d_est}, {0, kEstimatePermutations}});
        logits.set_estimates({{0, kEstimatePermutations}, {0, kEstimateTokens}});
        dh.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        dlogits.set_estimates({{0, kEstimatePermutations}, {0, kEstimateTokens}});
        stages = PermutationMixBackwardStages{dlogits, picked, mean, w, parts, rows, k, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_permutation_mix_backward_gpu(stages, knobs());
        } else {
            schedule_permutation_mix_backward_cpu(stages, knobs());
        }
    }

private:
    PermutationMixBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::PermutationMixForward, permutation_mix_forward)
HALIDE_REGISTER_GENERATOR(gomhc::PermutationMixBackward, permutation_mix_backward)
