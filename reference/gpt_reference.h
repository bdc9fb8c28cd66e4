// gomhc float64 reference of the trainer's whole GPT (docs/trainer.md, "The
// model"), written plainly from the pieces of model_reference.h and
// layer_reference.h: the tests take finite differences of its loss to check
// the trainer's analytic gradients.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "layer_reference.h"
#include "model_reference.h"

namespace gomhc::reference {

struct GptShape {
    int64_t vocab, padded_vocab, layers, width, heads, context;
    MixerMethod method;
    int d, s;
    // The streams reach the head normalised each, then summed times
    // `stream_scale`; else summed, then normalised once.
    bool norm_then_sum = false;
    double stream_scale = 1.0;
};

// The mean cross-entropy of the GPT over tokens/targets [batch][t], with the
// parameters in one flat array and `offsets` giving where each named tensor
// starts (the names of docs/trainer.md, e.g. "h.0.attn.c_attn.weight"; a
// hyper-connection's parameters start at "h.<l>.hc_attn.W" / "hc_mlp.W"; a
// stream embedding "wse", when there is one, is added to the streams after
// the token and position embedding).
double gpt_loss(const GptShape &shape, const std::map<std::string, int64_t> &offsets,
                const Vec &params, const Ids &tokens, const Ids &targets, int64_t batch, int64_t t);

}  // namespace gomhc::reference
