// Log-domain Sinkhorn-Knopp, the mHC baseline (docs/math.md section 3), forward and
// backward.
//
// Per token, with L the d x d logits and g_0 = 0, for k = 1..K:
//   f_k(i) = -LSE_j(L_ij + g_{k-1}(j)),   g_k(j) = -LSE_i(L_ij + f_k(i)),
//   H_ij = exp(L_ij + f_K(i) + g_K(j)).
// The 2d potentials of iteration k are nodes m < d (f_k(m)) and m >= d
// (g_k(m - d)) of one array potential(t, m, k). They are computed by a single
// scan over (k, m, q) that keeps, per node, a running maximum and a running
// sum of exponentials (an online, stable log-sum-exp), so the iterations are
// a loop rather than K unrolled stages: the kernel compiles in seconds for
// any d, where unrolling took minutes.
//
// Backward: reverse mode over the same graph. Node (m, k) has the softmax
// weights W(m, q, k) = exp(L + its input potential + its own potential)
// (R^k_ij for rows, S^k_ij for columns; each row of weights sums to 1). With
// adjoint a(m, k), initialised at k = K from dH o H, the reverse scan adds
//   a(input node) -= a(m, k) W(m, q, k)
// and then dL_ij = dH_ij H_ij - sum_k (a(f_k(i)) R^k_ij + a(g_k(j)) S^k_ij).
#include "common.h"
#include "schedules/sinkhorn_cpu.h"
#include "schedules/sinkhorn_gpu.h"

namespace gomhc {
namespace {

// The logits token innermost, and the Sinkhorn potentials of `iterations`
// iterations: potential(t, m, k) for k in [0, iterations], with k = 0 the
// starting g_0 = 0 (its f half is never read).
struct Potentials {
    Func logits_t, scan, potential;
    RDom steps;
};

// Node m's logit against its q-th input: L(m, q) for a row, L(q, m - d) for a
// column.
Expr node_logit(Func logits_t, Expr t, Expr m, Expr q, Expr d) {
    Expr is_row = m < d;
    return logits_t(t, select(is_row, q, clamp(m - d, 0, d - 1)),
                    select(is_row, clamp(m, 0, d - 1), q));
}

// The q-th input node of node m and the iteration it comes from.
Expr input_node(Expr m, Expr q, Expr d) { return select(m < d, d + q, q); }
Expr input_iteration(Expr m, Expr k, Expr d) { return select(m < d, k - 1, k); }

Potentials sinkhorn_potentials(const GeneratorInput<Buffer<float>> &logits, Expr d, int iterations,
                               Var t, Var m, Var k, Var col, Var row) {
    Potentials p;
    p.logits_t = Func("logits_t");
    // Clamped, so vectors of tokens may run past the last token.
    p.logits_t(t, col, row) = logits(col, row, clamp(t, 0, logits.dim(2).extent() - 1));

    // scan(t, m, k) = (running max, running sum of exp(. - max)); at k = 0
    // it is (0, 1), i.e. potential 0.
    p.scan = Func("scan");
    p.scan(t, m, k) = Tuple(select(k == 0, 0.0f, Float(32).min()), select(k == 0, 1.0f, 0.0f));
    // q innermost, then the nodes (rows before columns), then the iterations.
    p.steps = RDom(0, d, 0, 2 * d, 1, iterations, "steps");
    Expr q = p.steps.x, node = p.steps.y, iter = p.steps.z;
    Expr in_m = input_node(node, q, d), in_k = input_iteration(node, iter, d);
    Expr in_potential = -(p.scan(t, in_m, in_k)[0] + log(p.scan(t, in_m, in_k)[1]));
    Expr v = node_logit(p.logits_t, t, node, q, d) + in_potential;
    Expr old_max = p.scan(t, node, iter)[0], old_sum = p.scan(t, node, iter)[1];
    Expr new_max = max(old_max, v);
    p.scan(t, node, iter) = Tuple(new_max, old_sum * exp(old_max - new_max) + exp(v - new_max));

    p.potential = Func("potential");
    p.potential(t, m, k) = -(p.scan(t, m, k)[0] + log(p.scan(t, m, k)[1]));
    return p;
}

class SinkhornForward : public GomhcGenerator<SinkhornForward> {
public:
    // d is read at run time in every variant: the scan's loops are short, and
    // a fixed d would only let them unroll.
    GeneratorParam<int> d_fixed{"d", 0};
    GeneratorParam<int> iterations{"iterations", 20, 1, 1000};

    Input<int> d_runtime{"d_runtime", 1, 1, kMaxN};
    Input<Buffer<float>> logits{"logits", 3};  // (col, row, token)
    Output<Buffer<float>> h{"h", 3};           // (col, row, token)

    void generate() {
        Var t("t"), m("m"), k("k"), col("col"), row("row");
        Expr d = d_fixed > 0 ? Expr(int(d_fixed)) : Expr(d_runtime);
        Potentials p = sinkhorn_potentials(logits, d, iterations, t, m, k, col, row);
        Expr K = int(iterations);
        h(col, row, t) =
            exp(p.logits_t(t, col, row) + p.potential(t, row, K) + p.potential(t, d + col, K));

        const int d_est = d_fixed > 0 ? int(d_fixed) : kEstimateStreams;
        d_runtime.set_estimate(d_est);
        logits.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        h.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        if (d_fixed > 0) {
            fix_matrices(logits, d_fixed);
            fix_matrices(h, d_fixed);
        }
        stages =
            SinkhornForwardStages{h, p.logits_t, p.scan, p.potential, p.steps, t, m, k, col, row};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_sinkhorn_forward_gpu(stages, knobs());
        } else {
            schedule_sinkhorn_forward_cpu(stages, knobs());
        }
    }

private:
    SinkhornForwardStages stages;
};

class SinkhornBackward : public GomhcGenerator<SinkhornBackward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};
    GeneratorParam<int> iterations{"iterations", 20, 1, 1000};

    Input<int> d_runtime{"d_runtime", 1, 1, kMaxN};
    Input<Buffer<float>> logits{"logits", 3};     // (col, row, token)
    Input<Buffer<float>> dh{"dh", 3};             // (col, row, token)
    Output<Buffer<float>> dlogits{"dlogits", 3};  // (col, row, token)

    void generate() {
        Var t("t"), m("m"), k("k"), col("col"), row("row");
        Expr d = d_fixed > 0 ? Expr(int(d_fixed)) : Expr(d_runtime);
        const int K = iterations;
        Potentials p = sinkhorn_potentials(logits, d, K, t, m, k, col, row);
        Func dh_t("dh_t"), weighted("weighted");
        dh_t(t, col, row) = dh(col, row, clamp(t, 0, dh.dim(2).extent() - 1));
        weighted(t, col, row) =
            dh_t(t, col, row) *
            exp(p.logits_t(t, col, row) + p.potential(t, row, K) + p.potential(t, d + col, K));

        // W(m, q, k): the softmax weight of node (m, k) on its q-th input.
        const auto weight = [&](Expr tt, Expr node, Expr q, Expr iter) {
            return exp(node_logit(p.logits_t, tt, node, q, d) +
                       p.potential(tt, input_node(node, q, d), input_iteration(node, iter, d)) +
                       p.potential(tt, node, iter));
        };

        RDom cells(0, d, "cells");
        Func adjoint("adjoint");
        // At k = K both halves feed H: rows through sum_j dH H, columns
        // through sum_i dH H.
        Expr row_total = sum(weighted(t, cells, clamp(m, 0, d - 1)));
        Expr col_total = sum(weighted(t, clamp(m - d, 0, d - 1), cells));
        adjoint(t, m, k) = select(k == K, select(m < d, row_total, col_total), 0.0f);
        RDom reverse(0, d, 0, 2 * d, 0, K, "reverse");
        Expr q = reverse.x, node = 2 * d - 1 - reverse.y, iter = K - reverse.z;
        adjoint(t, input_node(node, q, d), input_iteration(node, iter, d)) -=
            adjoint(t, node, iter) * weight(t, node, q, iter);

        RDom iters(1, K, "iters");
        Func dl_sum("dl_sum");
        dl_sum(t, col, row) = weighted(t, col, row);
        dl_sum(t, col, row) -= adjoint(t, row, iters) * weight(t, row, col, iters) +
                               adjoint(t, d + col, iters) * weight(t, d + col, row, iters);
        dlogits(col, row, t) = dl_sum(t, col, row);

        const int d_est = d_fixed > 0 ? int(d_fixed) : kEstimateStreams;
        d_runtime.set_estimate(d_est);
        logits.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        dh.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        dlogits.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        if (d_fixed > 0) {
            fix_matrices(logits, d_fixed);
            fix_matrices(dh, d_fixed);
            fix_matrices(dlogits, d_fixed);
        }
        stages = SinkhornBackwardStages{
            dlogits, dl_sum,  dh_t,  weighted, adjoint, p.logits_t, p.scan, p.potential,
            p.steps, reverse, iters, t,        m,       k,          col,    row};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_sinkhorn_backward_gpu(stages, knobs());
        } else {
            schedule_sinkhorn_backward_cpu(stages, knobs());
        }
    }

private:
    SinkhornBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::SinkhornForward, sinkhorn_forward)
HALIDE_REGISTER_GENERATOR(gomhc::SinkhornBackward, sinkhorn_backward)
