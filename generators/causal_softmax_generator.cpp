// The softmax of causal self-attention, forward and backward (docs/math.md
// section 5). Row q of each (sequence, head) score matrix S [T][T] attends
// to the keys k <= q only:
//   P[q][k]  = exp(scale S[q][k] - m_q) / sum_{k' <= q} exp(scale S[q][k'] - m_q),  0 for k > q
//   dS[q][k] = scale P[q][k] (dP[q][k] - sum_{k' <= q} P[q][k'] dP[q][k'])
// with m_q the row's largest scaled score. The matrix products around it
// (S = Q K^T, Y = P V and their gradients) go to the BLAS.
#include "common.h"
#include "schedules/causal_softmax_cpu.h"
#include "schedules/causal_softmax_gpu.h"

namespace gomhc {
namespace {

class CausalSoftmaxForward : public GomhcGenerator<CausalSoftmaxForward> {
public:
    Input<Buffer<float>> scores{"scores", 3};  // (k, q, sequence * head)
    Input<float> scale{"scale"};
    Output<Buffer<float>> probs{"probs", 3};

    void generate() {
        Var k("k"), q("q"), h("h");
        RDom keys(0, scores.dim(0).extent(), "keys");
        keys.where(keys <= q);
        Func largest("largest"), exp_sum("exp_sum");
        largest(q, h) = Float(32).min();
        largest(q, h) = max(largest(q, h), scale * scores(keys, q, h));
        Func exponential("exponential");
        exponential(k, q, h) = fast_exp(scale * scores(k, q, h) - largest(q, h));
        exp_sum(q, h) = 0.0f;
        exp_sum(q, h) += exponential(keys, q, h);
        probs(k, q, h) = select(k <= q, exponential(k, q, h) / exp_sum(q, h), 0.0f);

        declare_square_rows(scores);
        declare_square_rows(probs);
        scale.set_estimate(kEstimateAttentionScale);
        stages = CausalSoftmaxForwardStages{probs, largest, exp_sum, exponential, keys, k, q, h};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_causal_softmax_forward_gpu(stages, knobs());
        } else {
            schedule_causal_softmax_forward_cpu(stages, knobs());
        }
    }

private:
    CausalSoftmaxForwardStages stages;
};

class CausalSoftmaxBackward : public GomhcGenerator<CausalSoftmaxBackward> {
public:
    Input<Buffer<float>> probs{"probs", 3};  // (k, q, sequence * head)
    Input<Buffer<float>> dprobs{"dprobs", 3};
    Input<float> scale{"scale"};
    Output<Buffer<float>> dscores{"dscores", 3};

    void generate() {
        Var k("k"), q("q"), h("h");
        RDom keys(0, probs.dim(0).extent(), "keys");
        keys.where(keys <= q);
        Func dot("dot");
        dot(q, h) = 0.0f;
        dot(q, h) += probs(keys, q, h) * dprobs(keys, q, h);
        dscores(k, q, h) =
            select(k <= q, scale * probs(k, q, h) * (dprobs(k, q, h) - dot(q, h)), 0.0f);

        declare_square_rows(probs);
        declare_square_rows(dprobs);
        declare_square_rows(dscores);
        scale.set_estimate(kEstimateAttentionScale);
        stages = CausalSoftmaxBackwardStages{dscores, dot, keys, k, q, h};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_causal_softmax_backward_gpu(stages, knobs());
        } else {
            schedule_causal_softmax_backward_cpu(stages, knobs());
        }
    }

private:
    CausalSoftmaxBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::CausalSoftmaxForward, causal_softmax_forward)
HALIDE_REGISTER_GENERATOR(gomhc::CausalSoftmaxBackward, causal_softmax_backward)
