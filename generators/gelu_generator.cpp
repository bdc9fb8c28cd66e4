// GELU in the tanh form GPT-2 uses, elementwise, forward and backward
// (docs/math.md section 5):
//   y  = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   dx = dy (1/2 (1 + tanh(u)) + x/2 (1 - tanh(u)^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
#include "common.h"
#include "schedules/gelu_cpu.h"
#include "schedules/gelu_gpu.h"

namespace gomhc {
namespace {

constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2/pi)
constexpr float kGeluCubic = 0.044715f;

Expr gelu_inner(Expr x) { return kGeluScale * (x + kGeluCubic * x * x * x); }

// tanh(u) = 1 - 2 / (exp(2u) + 1) with Halide's fast_exp, which vectorises:
// Halide 14's tanh is a scalar libm call per element, which left the
// kernels at the float64 reference's speed (docs/benchmarks.md, "GELU").
// exp(2u) overflowing to infinity gives 1 and underflowing gives -1.
Expr vector_tanh(Expr u) { return 1.0f - 2.0f / (fast_exp(2.0f * u) + 1.0f); }

// Both directions share the elementwise schedule.
template<typename T>
class GeluGenerator : public GomhcGenerator<T> {
public:
    void schedule() {
        if (!this->hand_scheduled()) {
            return;
        } else if (this->for_gpu()) {
            schedule_gelu_gpu(stages, this->knobs());
        } else {
            schedule_gelu_cpu(stages, this->knobs());
        }
    }

protected:
    ElementwiseStages stages;
};

class GeluForward : public GeluGenerator<GeluForward> {
public:
    Input<Buffer<float>> x{"x", 1};
    Output<Buffer<float>> y{"y", 1};

    void generate() {
        Var i("i");
        y(i) = 0.5f * x(i) * (1.0f + vector_tanh(gelu_inner(x(i))));
        x.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        y.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        stages = ElementwiseStages{y, i};
    }
};

class GeluBackward : public GeluGenerator<GeluBackward> {
public:
    Input<Buffer<float>> x{"x", 1};
    Input<Buffer<float>> dy{"dy", 1};
    Output<Buffer<float>> dx{"dx", 1};

    void generate() {
        Var i("i");
        Expr t = vector_tanh(gelu_inner(x(i)));
        Expr du = kGeluScale * (1.0f + 3.0f * kGeluCubic * x(i) * x(i));
        dx(i) = dy(i) * (0.5f * (1.0f + t) + 0.5f * x(i) * (1.0f - t * t) * du);
        for (auto *b : {&x, &dy}) {
            (*b).set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        }
        dx.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        stages = ElementwiseStages{dx, i};
    }
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::GeluForward, gelu_forward)
HALIDE_REGISTER_GENERATOR(gomhc::GeluBackward, gelu_backward)
