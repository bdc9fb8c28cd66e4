// The block Hadamard-square projection, forward and backward (docs/math.md section 2).
//
// Forward: split the n x n orthogonal Q into a d x d grid of s x s blocks;
//   H[i][j] = (1/s) * sum_{a<s, b<s} Q[i*s + a][j*s + b]^2.
// Each block row of Q holds s orthonormal rows, so H is doubly stochastic.
// Backward: dQ[p][q] = (2/s) * Q[p][q] * dH[p/s][q/s].
#include "common.h"
#include "schedules/orthostochastic_cpu.h"
#include "schedules/orthostochastic_gpu.h"

namespace gomhc {
namespace {

// d and s are fixed at generation time when both are > 0; the generic kernel
// (d = s = 0) takes them at run time.
class OrthostochasticForward : public GomhcGenerator<OrthostochasticForward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};
    GeneratorParam<int> s_fixed{"s", 0};

    Input<int> d_runtime{"d_runtime", 1, 1, kMaxN};
    Input<int> s_runtime{"s_runtime", 1, 1, kMaxN};
    Input<Buffer<float>> q{"q", 3};   // (col, row, token)
    Output<Buffer<float>> h{"h", 3};  // (col, row, token)

    void generate() {
        const bool fixed = d_fixed > 0 && s_fixed > 0;
        Expr s = fixed ? Expr(s_fixed) : Expr(s_runtime);
        Var t("t"), col("col"), row("row");

        RDom block(0, s, 0, s, "block");
        Expr entry = q(col * s + block.x, row * s + block.y, t);
        Func block_sum("block_sum");
        block_sum(col, row, t) += entry * entry;
        h(col, row, t) = block_sum(col, row, t) / cast<float>(s);

        if (fixed) {
            fix_matrices(q, int(d_fixed) * int(s_fixed));
            fix_matrices(h, d_fixed);
        }
        const int d_est = fixed ? int(d_fixed) : kEstimateStreams;
        const int s_est = fixed ? int(s_fixed) : kEstimateBlock;
        d_runtime.set_estimate(d_est);
        s_runtime.set_estimate(s_est);
        q.set_estimates({{0, d_est * s_est}, {0, d_est * s_est}, {0, kEstimateTokens}});
        h.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});

        stages = OrthostochasticForwardStages{h,   block_sum, block, t,
                                              col, row,       fixed, fixed ? int(d_fixed) : 0};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_orthostochastic_forward_gpu(stages, knobs());
        } else {
            schedule_orthostochastic_forward_cpu(stages, knobs());
        }
    }

private:
    OrthostochasticForwardStages stages;
};

class OrthostochasticBackward : public GomhcGenerator<OrthostochasticBackward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};
    GeneratorParam<int> s_fixed{"s", 0};

    Input<int> d_runtime{"d_runtime", 1, 1, kMaxN};
    Input<int> s_runtime{"s_runtime", 1, 1, kMaxN};
    Input<Buffer<float>> q{"q", 3};     // (col, row, token)
    Input<Buffer<float>> dh{"dh", 3};   // (col, row, token)
    Output<Buffer<float>> dq{"dq", 3};  // (col, row, token)

    void generate() {
        const bool fixed = d_fixed > 0 && s_fixed > 0;
        Expr s = fixed ? Expr(s_fixed) : Expr(s_runtime);
        Var t("t"), col("col"), row("row");

        dq(col, row, t) = (2.0f / cast<float>(s)) * q(col, row, t) * dh(col / s, row / s, t);

        if (fixed) {
            fix_matrices(q, int(d_fixed) * int(s_fixed));
            fix_matrices(dq, int(d_fixed) * int(s_fixed));
            fix_matrices(dh, d_fixed);
        }
        const int d_est = fixed ? int(d_fixed) : kEstimateStreams;
        const int s_est = fixed ? int(s_fixed) : kEstimateBlock;
        d_runtime.set_estimate(d_est);
        s_runtime.set_estimate(s_est);
        q.set_estimates({{0, d_est * s_est}, {0, d_est * s_est}, {0, kEstimateTokens}});
        dh.set_estimates({{0, d_est}, {0, d_est}, {0, kEstimateTokens}});
        dq.set_estimates({{0, d_est * s_est}, {0, d_est * s_est}, {0, kEstimateTokens}});

        stages = OrthostochasticBackwardStages{dq, t, col, row, fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_orthostochastic_backward_gpu(stages, knobs());
        } else {
            schedule_orthostochastic_backward_cpu(stages, knobs());
        }
    }

private:
    OrthostochasticBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::OrthostochasticForward, orthostochastic_forward)
HALIDE_REGISTER_GENERATOR(gomhc::OrthostochasticBackward, orthostochastic_backward)
