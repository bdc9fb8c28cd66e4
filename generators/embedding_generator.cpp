// Token and position embedding, forward and backward (docs/math.md
// section 5), written into the d residual streams at once:
//   out[b][p][j] = wte[tokens[b][p]] + wpe[p]       for every stream j
//   dwte[v] += sum over (b, p) with tokens[b][p] = v of sum_j dout[b][p][j]
//   dwpe[p] += sum_b sum_j dout[b][p][j]
// Token ids outside [0, vocab) are clamped (the runtime rejects them on the
// host; on a GPU the clamp keeps every read in bounds).
#include "common.h"
#include "schedules/embedding_cpu.h"
#include "schedules/embedding_gpu.h"

namespace gomhc {
namespace {

// The token id at (p, b), clamped into the vocabulary.
Expr clamped_token(const GeneratorInput<Buffer<int32_t>> &tokens, Expr p, Expr b, Expr vocab) {
    return clamp(tokens(p, b), 0, vocab - 1);
}

class EmbeddingForward : public GomhcGenerator<EmbeddingForward> {
public:
    Input<Buffer<int32_t>> tokens{"tokens", 2};  // (position, sequence)
    Input<Buffer<float>> wte{"wte", 2};          // (c, vocabulary)
    Input<Buffer<float>> wpe{"wpe", 2};          // (c, position)
    Output<Buffer<float>> out{"out", 4};         // (c, stream, position, sequence)

    void generate() {
        Var c("c"), j("j"), p("p"), b("b");
        Expr vocab = wte.dim(1).extent();
        Func row("row");
        row(c, p, b) = wte(c, clamped_token(tokens, p, b, vocab)) + wpe(c, p);
        out(c, j, p, b) = row(c, p, b);

        tokens.dim(1).set_stride(tokens.dim(0).extent());
        wte.dim(1).set_stride(wte.dim(0).extent());
        wpe.dim(1).set_stride(wpe.dim(0).extent());
        out.dim(1).set_stride(out.dim(0).extent());
        out.dim(2).set_stride(out.dim(0).extent() * out.dim(1).extent());
        out.dim(3).set_stride(out.dim(0).extent() * out.dim(1).extent() * out.dim(2).extent());
        tokens.set_estimates({{0, kEstimateContext}, {0, kEstimateSequences}});
        wte.set_estimates({{0, kEstimateFeatures}, {0, kEstimateVocabulary}});
        wpe.set_estimates({{0, kEstimateFeatures}, {0, kEstimateContext}});
        out.set_estimates({{0, kEstimateFeatures},
                           {0, kEstimateStreams},
                           {0, kEstimateContext},
                           {0, kEstimateSequences}});
        stages = EmbeddingForwardStages{out, row, c, j, p, b};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_embedding_forward_gpu(stages, knobs());
        } else {
            schedule_embedding_forward_cpu(stages, knobs());
        }
    }

private:
    EmbeddingForwardStages stages;
};

class EmbeddingBackward : public GomhcGenerator<EmbeddingBackward> {
public:
    Input<Buffer<int32_t>> tokens{"tokens", 2};  // (position, sequence)
    Input<Buffer<float>> dout{"dout", 4};        // (c, stream, position, sequence)
    Input<Buffer<float>> dwte_in{"dwte_in", 2};  // what dwte held before
    Input<Buffer<float>> dwpe_in{"dwpe_in", 2};
    Output<Buffer<float>> dwte{"dwte", 2};
    Output<Buffer<float>> dwpe{"dwpe", 2};

    void generate() {
        Var c("c"), v("v"), p("p"), b("b");
        Expr vocab = dwte_in.dim(1).extent();
        RDom streams(0, dout.dim(1).extent(), "streams");
        Func token_grad("token_grad");
        token_grad(c, p, b) = 0.0f;
        token_grad(c, p, b) += dout(c, streams, p, b);

        // The scatter walks the tokens in order, so repeated ids add up in
        // the same order on any number of threads (they split the features).
        RDom all(0, tokens.dim(0).extent(), 0, tokens.dim(1).extent(), "all");
        Func dwte_sum("dwte_sum");
        dwte_sum(c, v) = dwte_in(c, v);
        dwte_sum(c, clamped_token(tokens, all.x, all.y, vocab)) += token_grad(c, all.x, all.y);
        dwte(c, v) = dwte_sum(c, v);

        // Only the first T rows of the position table get gradients.
        RDom sequences(0, tokens.dim(0).extent(), 0, tokens.dim(1).extent(), "sequences");
        Func dwpe_sum("dwpe_sum");
        dwpe_sum(c, p) = dwpe_in(c, p);
        dwpe_sum(c, sequences.x) += token_grad(c, sequences.x, sequences.y);
        dwpe(c, p) = dwpe_sum(c, p);

        tokens.dim(1).set_stride(tokens.dim(0).extent());
        dout.dim(1).set_stride(dout.dim(0).extent());
        dout.dim(2).set_stride(dout.dim(0).extent() * dout.dim(1).extent());
        dout.dim(3).set_stride(dout.dim(0).extent() * dout.dim(1).extent() * dout.dim(2).extent());
        for (auto *buffer : {&dwte_in, &dwpe_in}) {
            (*buffer).dim(1).set_stride((*buffer).dim(0).extent());
        }
        dwte.dim(1).set_stride(dwte.dim(0).extent());
        dwpe.dim(1).set_stride(dwpe.dim(0).extent());
        tokens.set_estimates({{0, kEstimateContext}, {0, kEstimateSequences}});
        dout.set_estimates({{0, kEstimateFeatures},
                            {0, kEstimateStreams},
                            {0, kEstimateContext},
                            {0, kEstimateSequences}});
        dwte_in.set_estimates({{0, kEstimateFeatures}, {0, kEstimateVocabulary}});
        dwte.set_estimates({{0, kEstimateFeatures}, {0, kEstimateVocabulary}});
        dwpe_in.set_estimates({{0, kEstimateFeatures}, {0, kEstimateContext}});
        dwpe.set_estimates({{0, kEstimateFeatures}, {0, kEstimateContext}});
        stages = EmbeddingBackwardStages{dwte,    dwpe,      dwte_sum, dwpe_sum, token_grad, all,
                                         streams, sequences, c,        v,        p,          b};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_embedding_backward_gpu(stages, knobs());
        } else {
            schedule_embedding_backward_cpu(stages, knobs());
        }
    }

private:
    EmbeddingBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::EmbeddingForward, embedding_forward)
HALIDE_REGISTER_GENERATOR(gomhc::EmbeddingBackward, embedding_backward)
