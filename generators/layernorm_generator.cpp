// LayerNorm over each token's C features, forward and backward
// (docs/math.md section 5), as GPT-2 uses it:
//   mean = (1/C) sum_c x,  rstd = 1 / sqrt((1/C) sum_c (x - mean)^2 + eps)
//   y    = (x - mean) * rstd * gamma + beta
// Backward, with n = (x - mean) * rstd and g = gamma * dy:
//   dx     = (g - mean_c(g) - n * mean_c(g n)) * rstd
//   dgamma = sum_t dy n,  dbeta = sum_t dy
// The variance is taken around the mean (two passes), not as E[x^2] - mean^2,
// which cancels catastrophically in float32 when |mean| >> std.
#include "common.h"
#include "schedules/layernorm_cpu.h"
#include "schedules/layernorm_gpu.h"

namespace gomhc {
namespace {

constexpr float kLayerNormEps = 1e-5f;

class LayernormForward : public GomhcGenerator<LayernormForward> {
public:
    Input<Buffer<float>> x{"x", 2};  // (c, token)
    Input<Buffer<float>> gamma{"gamma", 1};
    Input<Buffer<float>> beta{"beta", 1};
    Output<Buffer<float>> y{"y", 2};  // (c, token)
    Output<Buffer<float>> mean{"mean", 1};
    Output<Buffer<float>> rstd{"rstd", 1};

    void generate() {
        Var c("c"), t("t");
        Expr features = x.dim(0).extent();
        RDom r(0, features, "features");
        Func sum("sum"), square_sum("square_sum");
        sum(t) = 0.0f;
        sum(t) += x(r, t);
        mean(t) = sum(t) / cast<float>(features);
        square_sum(t) = 0.0f;
        square_sum(t) += (x(r, t) - mean(t)) * (x(r, t) - mean(t));
        rstd(t) = 1.0f / sqrt(square_sum(t) / cast<float>(features) + kLayerNormEps);
        y(c, t) = (x(c, t) - mean(t)) * rstd(t) * gamma(c) + beta(c);

        x.dim(1).set_stride(x.dim(0).extent());
        y.dim(1).set_stride(y.dim(0).extent());
        x.set_estimates({{0, kEstimateFeatures}, {0, kEstimateTokens}});
        gamma.set_estimates({{0, kEstimateFeatures}});
        beta.set_estimates({{0, kEstimateFeatures}});
        y.set_estimates({{0, kEstimateFeatures}, {0, kEstimateTokens}});
        mean.set_estimates({{0, kEstimateTokens}});
        rstd.set_estimates({{0, kEstimateTokens}});
        stages = LayernormForwardStages{y, mean, rstd, sum, square_sum, c, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_layernorm_forward_gpu(stages, knobs());
        } else {
            schedule_layernorm_forward_cpu(stages, knobs());
        }
    }

private:
    LayernormForwardStages stages;
};

class LayernormBackward : public GomhcGenerator<LayernormBackward> {
public:
    Input<Buffer<float>> dy{"dy", 2};  // (c, token)
    Input<Buffer<float>> x{"x", 2};
    Input<Buffer<float>> gamma{"gamma", 1};
    Input<Buffer<float>> mean{"mean", 1};
    Input<Buffer<float>> rstd{"rstd", 1};
    Output<Buffer<float>> dx{"dx", 2};
    Output<Buffer<float>> dgamma{"dgamma", 1};
    Output<Buffer<float>> dbeta{"dbeta", 1};

    void generate() {
        Var c("c"), t("t");
        Expr features = x.dim(0).extent();
        Expr tokens = x.dim(1).extent();
        Func normalized("normalized"), scaled("scaled");
        normalized(c, t) = (x(c, t) - mean(t)) * rstd(t);
        scaled(c, t) = gamma(c) * dy(c, t);

        RDom r(0, features, "features");
        Func scaled_sum("scaled_sum"), scaled_normalized_sum("scaled_normalized_sum");
        scaled_sum(t) = 0.0f;
        scaled_sum(t) += scaled(r, t);
        scaled_normalized_sum(t) = 0.0f;
        scaled_normalized_sum(t) += scaled(r, t) * normalized(r, t);
        const Expr inverse_features = 1.0f / cast<float>(features);
        dx(c, t) = (scaled(c, t) - scaled_sum(t) * inverse_features -
                    normalized(c, t) * scaled_normalized_sum(t) * inverse_features) *
                   rstd(t);

        // Summed over the tokens one after another, per feature: the same
        // order on any number of threads. The sums live in buffers of
        // Halide's own (aligned) and are then copied out: summing into the
        // caller's dgamma would read it back with aligned vector loads.
        RDom rt(0, tokens, "tokens");
        Func dgamma_sum("dgamma_sum"), dbeta_sum("dbeta_sum");
        dgamma_sum(c) = 0.0f;
        dgamma_sum(c) += dy(c, rt) * normalized(c, rt);
        dbeta_sum(c) = 0.0f;
        dbeta_sum(c) += dy(c, rt);
        dgamma(c) = dgamma_sum(c);
        dbeta(c) = dbeta_sum(c);

        for (auto *b : {&dy, &x}) {
            (*b).dim(1).set_stride((*b).dim(0).extent());
            (*b).set_estimates({{0, kEstimateFeatures}, {0, kEstimateTokens}});
        }
        dx.dim(1).set_stride(dx.dim(0).extent());
        gamma.set_estimates({{0, kEstimateFeatures}});
        mean.set_estimates({{0, kEstimateTokens}});
        rstd.set_estimates({{0, kEstimateTokens}});
        dx.set_estimates({{0, kEstimateFeatures}, {0, kEstimateTokens}});
        dgamma.set_estimates({{0, kEstimateFeatures}});
        dbeta.set_estimates({{0, kEstimateFeatures}});
        stages = LayernormBackwardStages{
            dx, dgamma, dbeta, scaled_sum, scaled_normalized_sum, dgamma_sum, dbeta_sum, c, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_layernorm_backward_gpu(stages, knobs());
        } else {
            schedule_layernorm_backward_cpu(stages, knobs());
        }
    }

private:
    LayernormBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::LayernormForward, layernorm_forward)
HALIDE_REGISTER_GENERATOR(gomhc::LayernormBackward, layernorm_backward)
