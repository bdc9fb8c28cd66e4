// The Kronecker product of two per-token mixers, go-kron's composition:
//   H[i1*d2 + i2][j1*d2 + j2] = H1[i1][j1] H2[i2][j2]
// Backward: dH1[i1][j1] = sum_{i2,j2} dH[..] H2[i2][j2],
//           dH2[i2][j2] = sum_{i1,j1} dH[..] H1[i1][j1].
// The factor sizes come from the buffers.
#include "common.h"
#include "schedules/kronecker_cpu.h"
#include "schedules/kronecker_gpu.h"

namespace gomhc {
namespace {

constexpr int kEstimateFactor = 2;  // d = 4 = 2 x 2

Region factor_region() {
    return {{0, kEstimateFactor}, {0, kEstimateFactor}, {0, kEstimateTokens}};
}
Region product_region() {
    return {{0, kEstimateStreams}, {0, kEstimateStreams}, {0, kEstimateTokens}};
}

class KroneckerForward : public GomhcGenerator<KroneckerForward> {
public:
    Input<Buffer<float>> h1{"h1", 3};  // (col, row, token)
    Input<Buffer<float>> h2{"h2", 3};
    Output<Buffer<float>> h{"h", 3};

    void generate() {
        Var col("col"), row("row"), t("t");
        Expr d2 = h2.dim(0).extent();
        h(col, row, t) = h1(col / d2, row / d2, t) * h2(col % d2, row % d2, t);
        h1.set_estimates(factor_region());
        h2.set_estimates(factor_region());
        h.set_estimates(product_region());
        stages = KroneckerForwardStages{h, col, row, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_kronecker_forward_gpu(stages, knobs());
        } else {
            schedule_kronecker_forward_cpu(stages, knobs());
        }
    }

private:
    KroneckerForwardStages stages;
};

class KroneckerBackward : public GomhcGenerator<KroneckerBackward> {
public:
    Input<Buffer<float>> h1{"h1", 3};
    Input<Buffer<float>> h2{"h2", 3};
    Input<Buffer<float>> dh{"dh", 3};
    Output<Buffer<float>> dh1{"dh1", 3};
    Output<Buffer<float>> dh2{"dh2", 3};

    void generate() {
        Var col("col"), row("row"), t("t");
        Expr d1 = h1.dim(0).extent(), d2 = h2.dim(0).extent();
        RDom inner(0, d2, 0, d2, "inner"), outer(0, d1, 0, d1, "outer");
        Func dh1_sum("dh1_sum"), dh2_sum("dh2_sum");
        dh1_sum(col, row, t) = 0.0f;
        dh1_sum(col, row, t) +=
            dh(col * d2 + inner.x, row * d2 + inner.y, t) * h2(inner.x, inner.y, t);
        dh2_sum(col, row, t) = 0.0f;
        dh2_sum(col, row, t) +=
            dh(outer.x * d2 + col, outer.y * d2 + row, t) * h1(outer.x, outer.y, t);
        dh1(col, row, t) = dh1_sum(col, row, t);
        dh2(col, row, t) = dh2_sum(col, row, t);
        h1.set_estimates(factor_region());
        h2.set_estimates(factor_region());
        dh.set_estimates(product_region());
        dh1.set_estimates(factor_region());
        dh2.set_estimates(factor_region());
        stages = KroneckerBackwardStages{dh1, dh2, dh1_sum, dh2_sum, inner, outer, col, row, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_kronecker_backward_gpu(stages, knobs());
        } else {
            schedule_kronecker_backward_cpu(stages, knobs());
        }
    }

private:
    KroneckerBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::KroneckerForward, kronecker_forward)
HALIDE_REGISTER_GENERATOR(gomhc::KroneckerBackward, kronecker_backward)
