// AdamW over a model's flat parameter block, in one pass (docs/math.md
// section 5), with the global gradient-norm clip folded in:
//   g  = clip * grad,  clip = min(1, max_norm / (|grad| + 1e-6)) (1 when max_norm = 0)
//   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g^2
//   p' = p - lr (m' / c1 / (sqrt(v' / c2) + eps) + weight_decay decay[i] p)
// with c1 = 1 - beta1^step and c2 = 1 - beta2^step (the bias corrections,
// given by the caller) and decay[i] 1 for the entries weight decay applies
// to (matrices), 0 for the rest. |grad|^2 comes in as a one-element buffer
// (squared_norm), so the whole update stays on the device.
// The outputs are one tuple (p', m', v'), computed element by element from
// the inputs at the same index, so they may be the inputs' own memory.
#include "common.h"
#include "schedules/adamw_cpu.h"
#include "schedules/adamw_gpu.h"

namespace gomhc {
namespace {

constexpr float kClipEpsilon = 1e-6f;

class Adamw : public GomhcGenerator<Adamw> {
public:
    Input<Buffer<float>> params{"params", 1};
    Input<Buffer<float>> grads{"grads", 1};
    Input<Buffer<float>> m{"m", 1};
    Input<Buffer<float>> v{"v", 1};
    Input<Buffer<uint8_t>> decay{"decay", 1};
    Input<Buffer<float>> grad_squared_norm{"grad_squared_norm", 1};
    Input<float> lr{"lr"};
    Input<float> beta1{"beta1"};
    Input<float> beta2{"beta2"};
    Input<float> eps{"eps"};
    Input<float> weight_decay{"weight_decay"};
    Input<float> max_norm{"max_norm"};
    Input<float> bias_correction1{"bias_correction1"};
    Input<float> bias_correction2{"bias_correction2"};
    Output<Func> updated{"updated", {Float(32), Float(32), Float(32)}, 1};  // (p', m', v')

    void generate() {
        Var i("i");
        Expr norm = sqrt(grad_squared_norm(0));
        Expr clip = select(max_norm > 0.0f, min(1.0f, max_norm / (norm + kClipEpsilon)), 1.0f);
        Expr g = clip * grads(i);
        Expr m_next = beta1 * m(i) + (1.0f - beta1) * g;
        Expr v_next = beta2 * v(i) + (1.0f - beta2) * g * g;
        Expr step = m_next / bias_correction1 / (sqrt(v_next / bias_correction2) + eps);
        Expr decayed = weight_decay * cast<float>(decay(i)) * params(i);
        updated(i) = Tuple(params(i) - lr * (step + decayed), m_next, v_next);

        const int estimate = kEstimateTokens * kEstimateFeatures;
        for (auto *b : {&params, &grads, &m, &v}) {
            (*b).set_estimates({{0, estimate}});
        }
        decay.set_estimates({{0, estimate}});
        grad_squared_norm.dim(0).set_bounds(0, 1);
        grad_squared_norm.set_estimates({{0, 1}});
        lr.set_estimate(1e-3f);
        beta1.set_estimate(0.9f);
        beta2.set_estimate(0.95f);
        eps.set_estimate(1e-8f);
        weight_decay.set_estimate(0.1f);
        max_norm.set_estimate(1.0f);
        bias_correction1.set_estimate(0.5f);
        bias_correction2.set_estimate(0.5f);
        updated.set_estimates({{0, estimate}});
        stages = ElementwiseStages{updated, i};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_adamw_gpu(stages, knobs());
        } else {
            schedule_adamw_cpu(stages, knobs());
        }
    }

private:
    ElementwiseStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::Adamw, adamw)
