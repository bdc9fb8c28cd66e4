// gomhc float64 reference of the GPT trainer's ops (docs/math.md section 5),
// written plainly: explicit loops, one token at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "gomhc_reference.h"

namespace gomhc::reference {

constexpr double kLayerNormEps = 1e-5;

// x [T][C], gamma [C], beta [C] -> y [T][C], mean [T], rstd [T].
struct LayerNormForward {
    Vec y, mean, rstd;
};
LayerNormForward layernorm_forward(int64_t tokens, int64_t c, const Vec &x, const Vec &gamma,
                                   const Vec &beta);

// dy [T][C] and the forward's inputs -> dx [T][C], dgamma [C], dbeta [C].
struct LayerNormBackward {
    Vec dx, dgamma, dbeta;
};
LayerNormBackward layernorm_backward(int64_t tokens, int64_t c, const Vec &dy, const Vec &x,
                                     const Vec &gamma);

// GELU, tanh form: y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), and its
// derivative times dy.
Vec gelu_forward(const Vec &x);
Vec gelu_backward(const Vec &x, const Vec &dy);

// Token ids, as the trainer's ops take them.
using Ids = std::vector<int32_t>;

// tokens [B][T] (ids < V), wte [V][C], wpe [P][C] -> out [B][T][d][C]: wte[id]
// + wpe[position] in each of the d streams.
Vec embedding_forward(int64_t sequences, int64_t positions, int64_t d, int64_t c, const Ids &tokens,
                      const Vec &wte, const Vec &wpe);
// The gradients of wte [V][C] and wpe [P][C] from dout [B][T][d][C].
struct EmbeddingBackward {
    Vec dwte, dwpe;
};
EmbeddingBackward embedding_backward(int64_t sequences, int64_t positions, int64_t d, int64_t c,
                                     int64_t vocab, int64_t table_positions, const Ids &tokens,
                                     const Vec &dout);

// scores [H][T][T] -> probs [H][T][T]: row q is the softmax over k <= q of
// scale * scores[q][k], 0 above the diagonal; the backward gives dscores.
Vec causal_softmax_forward(int64_t heads, int64_t t, double scale, const Vec &scores);
Vec causal_softmax_backward(int64_t heads, int64_t t, double scale, const Vec &probs,
                            const Vec &dprobs);

// logits [T][Vp] over the first `vocab` entries, targets [T].
struct CrossEntropyForward {
    Vec loss, lse;  // [T] each
};
CrossEntropyForward cross_entropy_forward(int64_t tokens, int64_t padded, int64_t vocab,
                                          const Vec &logits, const Ids &targets);
// dlogits [T][Vp] = scale (softmax - onehot), 0 in the padding.
Vec cross_entropy_backward(int64_t tokens, int64_t padded, int64_t vocab, double scale,
                           const Vec &logits, const Ids &targets);

// One AdamW step (docs/math.md section 5) on params, m, v in place, step =
// the 1-based step number; decay[i] 1 where weight decay applies.
struct AdamwHyper {
    double lr, beta1, beta2, eps, weight_decay, max_norm;
};
void adamw_step(Vec &params, const Vec &grads, Vec &m, Vec &v, const std::vector<uint8_t> &decay,
                int64_t step, const AdamwHyper &hyper);

}  // namespace gomhc::reference
