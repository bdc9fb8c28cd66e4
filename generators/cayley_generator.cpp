// The skew-to-orthogonal Cayley map, forward and backward (docs/math.md section 2).
//
// Forward: A = U - U^T from the strict upper triangle U given by params, and
//   Q = (I + A)^{-1} (I - A) = 2 (I + A)^{-1} - I,
// with (I + A)^{-1} found from [I + A | I] by forward elimination (each row
// reduced by the unit-pivot rows above it, then scaled to its own unit pivot)
// and back substitution. No pivoting is needed: the symmetric part of I + A
// is I, so every pivot is at least 1. The solve loses orthogonality in
// float32 in proportion to cond(I + A), which grows with |A| (about 3e-5 at
// parameter scale 10); one Newton-Schulz step, Q <- Q + Q (I - Q^T Q) / 2,
// restores it to rounding level (about 3e-7) while moving Q by no more than
// the solve's own error.
//
// Backward, from the saved Q and G = dL/dQ (no second solve):
//   dL/dA = -(1/2) (Q^T + I) G (Q^T + I),   dL/dp_k = dA[i][j] - dA[j][i].
#include "common.h"
#include "schedules/cayley_cpu.h"
#include "schedules/cayley_gpu.h"

namespace gomhc {
namespace {

class CayleyForward : public GomhcGenerator<CayleyForward> {
public:
    // n = d*s fixed at generation time; 0 builds the generic kernel, which
    // takes n at run time from the input of the same name.
    GeneratorParam<int> n_fixed{"n", 0};
    // Newton-Schulz steps that re-orthogonalise the solved Q (see above).
    GeneratorParam<int> refinement_steps{"refinement_steps", 1};

    Input<int> n_runtime{"n_runtime", 2, 2, kMaxN};
    Input<Buffer<float>> params{"params", 2};  // (pair, token)
    Output<Buffer<float>> q{"q", 3};           // (col, row, token)

    void generate() {
        Expr n = fixed_or(n_fixed, n_runtime);
        Var t("t"), col("col"), row("row");

        // Token-innermost copy of the parameters. Token indices past the end
        // read the last token, so schedules may compute whole vectors of
        // tokens; those lanes are never stored.
        Func params_t("params_t");
        Var p("p");
        params_t(t, p) = params(p, min(t, params.dim(1).extent() - 1));

        // Entry (row, col) of A, read from the upper triangle it mirrors.
        auto skew = [&](Expr r, Expr c) {
            Expr upper =
                params_t(t, clamp(pair_index(min(r, c), max(r, c), n), 0, pair_count(n) - 1));
            return select(r<c, upper, r> c, -upper, 0.0f);
        };
        Func system("system");
        system(t, col, row) =
            select(row == col % n, 1.0f, 0.0f) + select(col < n, skew(row, col), 0.0f);

        // Forward elimination, one row at a time: row r subtracts the
        // finished (unit-pivot) rows k < r, then scales itself to a unit
        // pivot (the pass k == r). Row k is zero left of column k + 1 in the
        // part still read, and zero right of column n + k, so a pass touches
        // only the n columns c = k + 1 + j, j < n.
        RDom fwd(0, n, 0, n, 0, n, "forward_elimination");
        fwd.where(fwd.y <= fwd.z);
        {
            Expr j = fwd.x, k = fwd.y, r = fwd.z;
            Expr c = k + 1 + j;
            system(t, c, r) = select(k == r, system(t, c, r) / system(t, r, r),
                                     system(t, c, r) - system(t, k, r) * system(t, c, k));
        }
        // Back substitution, last row first: the right half of row r
        // subtracts u[r][k] times the finished right halves of rows k > r.
        RDom back(0, n, 0, n, 0, n, "back_substitution");
        {
            Expr j = back.x, k = back.y, r = n - 1 - back.z;
            back.where(k > r);
            system(t, n + j, r) -= system(t, k, r) * system(t, n + j, k);
        }

        // After the last step the left half is I and the right half is
        // (I + A)^{-1}.
        Func solved("solved");
        solved(t, col, row) = 2.0f * system(t, col + n, row) - select(row == col, 1.0f, 0.0f);

        std::vector<Func> gram_error, gram_error_full, correction, refined;
        Func current = solved;
        // E = I - Q^T Q is symmetric: only its upper triangle (col >= row) is
        // summed, and the lower one mirrors it.
        RDom m(0, n, "gram_sum"), k2(0, n, "refine_sum");
        m.where(col >= row);
        for (int step = 0; step < refinement_steps; step++) {
            // E = I - Q^T Q, then Q + (Q E) / 2.
            Func e_step("gram_error_" + std::to_string(step));
            e_step(t, col, row) = select(row == col, 1.0f, 0.0f);
            e_step(t, col, row) -= current(t, row, m) * current(t, col, m);
            Func e_full("gram_error_full_" + std::to_string(step));
            e_full(t, col, row) = e_step(t, max(col, row), min(col, row));
            Func qe_step("correction_" + std::to_string(step));
            qe_step(t, col, row) = 0.0f;
            qe_step(t, col, row) += current(t, k2, row) * e_full(t, col, k2);
            Func q_step("refined_" + std::to_string(step));
            q_step(t, col, row) = current(t, col, row) + 0.5f * qe_step(t, col, row);
            gram_error.push_back(e_step);
            gram_error_full.push_back(e_full);
            correction.push_back(qe_step);
            refined.push_back(q_step);
            current = q_step;
        }
        q(col, row, t) = current(t, col, row);

        if (n_fixed > 0) {
            params.dim(0).set_bounds(0, n_fixed * (n_fixed - 1) / 2);
            q.dim(0).set_bounds(0, n_fixed);
            q.dim(1).set_bounds(0, n_fixed).set_stride(n_fixed);
        }
        q.dim(2).set_stride(q.dim(0).extent() * q.dim(1).extent());
        params.dim(1).set_stride(params.dim(0).extent());

        const int n_est = n_fixed > 0 ? int(n_fixed) : kEstimateStreams * kEstimateBlock;
        n_runtime.set_estimate(n_est);
        params.set_estimates({{0, n_est * (n_est - 1) / 2}, {0, kEstimateTokens}});
        q.set_estimates({{0, n_est}, {0, n_est}, {0, kEstimateTokens}});

        stages = CayleyForwardStages{
            q,          params_t, system, solved,     gram_error, gram_error_full,
            correction, refined,  fwd,    back,       m,          k2,
            t,          col,      row,    n_fixed > 0};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_cayley_forward_gpu(stages, knobs(), n_fixed);
        } else {
            schedule_cayley_forward_cpu(stages, knobs(), n_fixed);
        }
    }

private:
    CayleyForwardStages stages;
};

class CayleyBackward : public GomhcGenerator<CayleyBackward> {
public:
    GeneratorParam<int> n_fixed{"n", 0};

    Input<Buffer<float>> q{"q", 3};               // (col, row, token)
    Input<Buffer<float>> dq{"dq", 3};             // (col, row, token)
    Output<Buffer<float>> dparams{"dparams", 2};  // (pair, token)

    void generate() {
        Expr n = fixed_or(n_fixed, q.dim(0).extent());
        Var t("t"), col("col"), row("row"), k("k");

        // Token-innermost copies; indices past the last token repeat it (see
        // the forward).
        Expr last = q.dim(2).extent() - 1;
        Func qt("qt"), gt("gt");
        qt(t, col, row) = q(col, row, min(t, last));
        gt(t, col, row) = dq(col, row, min(t, last));

        // w = G (Q^T + I): w[i][j] = G[i][j] + sum_m G[i][m] Q[j][m]
        RDom m(0, n, "w_sum");
        Func w("w");
        w(t, col, row) = gt(t, col, row);
        w(t, col, row) += gt(t, m, row) * qt(t, m, col);

        // dA = -(1/2) (Q^T + I) w: dA[i][j] = -(w[i][j] + sum_l Q[l][i] w[l][j]) / 2
        RDom l(0, n, "a_sum");
        Func grad_a("grad_a");
        grad_a(t, col, row) = w(t, col, row);
        grad_a(t, col, row) += qt(t, row, l) * w(t, col, l);

        Expr i = pair_row(k, n);
        Expr j = pair_col(k, i, n);
        dparams(k, t) = -0.5f * (grad_a(t, j, i) - grad_a(t, i, j));

        if (n_fixed > 0) {
            q.dim(0).set_bounds(0, n_fixed);
            q.dim(1).set_bounds(0, n_fixed);
            dq.dim(0).set_bounds(0, n_fixed);
            dq.dim(1).set_bounds(0, n_fixed);
            dparams.dim(0).set_bounds(0, n_fixed * (n_fixed - 1) / 2);
        }
        for (auto *b : {&q, &dq}) {
            (*b).dim(1).set_stride((*b).dim(0).extent());
            (*b).dim(2).set_stride((*b).dim(0).extent() * (*b).dim(1).extent());
        }
        dparams.dim(1).set_stride(dparams.dim(0).extent());

        const int n_est = n_fixed > 0 ? int(n_fixed) : kEstimateStreams * kEstimateBlock;
        q.set_estimates({{0, n_est}, {0, n_est}, {0, kEstimateTokens}});
        dq.set_estimates({{0, n_est}, {0, n_est}, {0, kEstimateTokens}});
        dparams.set_estimates({{0, n_est * (n_est - 1) / 2}, {0, kEstimateTokens}});

        stages =
            CayleyBackwardStages{dparams, qt, gt, w, grad_a, m, l, t, col, row, k, n_fixed > 0};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_cayley_backward_gpu(stages, knobs(), n_fixed);
        } else {
            schedule_cayley_backward_cpu(stages, knobs(), n_fixed);
        }
    }

private:
    CayleyBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::CayleyForward, cayley_forward)
HALIDE_REGISTER_GENERATOR(gomhc::CayleyBackward, cayley_backward)
