// Softmax cross-entropy over the padded vocabulary, forward and backward
// (docs/math.md section 5). Row t holds the logits of token t over Vp >= V
// entries; only the first V (the real vocabulary) take part:
//   lse[t]  = log sum_{v < V} exp(logits[t][v])
//   loss[t] = lse[t] - logits[t][target[t]]
//   dlogits[t][v] = scale (softmax_v - [v = target[t]]) for v < V, 0 in the padding
// `scale` is dL/dloss[t], the same for every token (1/tokens for a mean).
// The backward reads each logit once and writes its gradient at the same
// index, so dlogits may be the logits' own memory.
#include "common.h"
#include "schedules/cross_entropy_cpu.h"
#include "schedules/cross_entropy_gpu.h"

namespace gomhc {
namespace {

class CrossEntropyForward : public GomhcGenerator<CrossEntropyForward> {
public:
    Input<Buffer<float>> logits{"logits", 2};      // (v, token)
    Input<Buffer<int32_t>> targets{"targets", 1};  // (token)
    Input<int> vocab{"vocab"};                     // V <= Vp
    Output<Buffer<float>> loss{"loss", 1};
    Output<Buffer<float>> lse{"lse", 1};

    void generate() {
        Var t("t");
        RDom r(0, vocab, "vocab");
        Func largest("largest"), exp_sum("exp_sum");
        largest(t) = Float(32).min();
        largest(t) = max(largest(t), logits(r, t));
        exp_sum(t) = 0.0f;
        exp_sum(t) += fast_exp(logits(r, t) - largest(t));
        lse(t) = largest(t) + log(exp_sum(t));
        loss(t) = lse(t) - logits(clamp(targets(t), 0, vocab - 1), t);

        logits.dim(1).set_stride(logits.dim(0).extent());
        logits.set_estimates({{0, kEstimateVocabulary}, {0, kEstimateTokens}});
        targets.set_estimates({{0, kEstimateTokens}});
        vocab.set_estimate(kEstimateVocabulary);
        loss.set_estimates({{0, kEstimateTokens}});
        lse.set_estimates({{0, kEstimateTokens}});
        stages = CrossEntropyForwardStages{loss, lse, largest, exp_sum, r, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_cross_entropy_forward_gpu(stages, knobs());
        } else {
            schedule_cross_entropy_forward_cpu(stages, knobs());
        }
    }

private:
    CrossEntropyForwardStages stages;
};

class CrossEntropyBackward : public GomhcGenerator<CrossEntropyBackward> {
public:
    Input<Buffer<float>> logits{"logits", 2};      // (v, token)
    Input<Buffer<int32_t>> targets{"targets", 1};  // (token)
    Input<Buffer<float>> lse{"lse", 1};
    Input<int> vocab{"vocab"};
    Input<float> scale{"scale"};
    Output<Buffer<float>> dlogits{"dlogits", 2};

    void generate() {
        Var v("v"), t("t");
        Expr softmax = fast_exp(logits(v, t) - lse(t));
        Expr target = select(v == targets(t), 1.0f, 0.0f);
        dlogits(v, t) = select(v < vocab, scale * (softmax - target), 0.0f);

        logits.dim(1).set_stride(logits.dim(0).extent());
        dlogits.dim(1).set_stride(dlogits.dim(0).extent());
        logits.set_estimates({{0, kEstimateVocabulary}, {0, kEstimateTokens}});
        targets.set_estimates({{0, kEstimateTokens}});
        lse.set_estimates({{0, kEstimateTokens}});
        vocab.set_estimate(kEstimateVocabulary);
        scale.set_estimate(1.0f / kEstimateTokens);
        dlogits.set_estimates({{0, kEstimateVocabulary}, {0, kEstimateTokens}});
        stages = RowwiseStages{dlogits, v, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_cross_entropy_backward_gpu(stages, knobs());
        } else {
            schedule_cross_entropy_backward_cpu(stages, knobs());
        }
    }

private:
    RowwiseStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::CrossEntropyForward, cross_entropy_forward)
HALIDE_REGISTER_GENERATOR(gomhc::CrossEntropyBackward, cross_entropy_backward)
