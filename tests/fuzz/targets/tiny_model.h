// The tiny GPT whose files seed the model, optimizer and state.json
// targets (tests/fuzz/seeds.cpp writes them), and the part of its layout
// the model target loads: the embeddings, as Gpt::layout() names them.
#pragma once

#include <vector>

#include "gpt.h"

namespace gomhc_fuzz {

inline gomhc::trainer::GptConfig tiny_config() {
    gomhc::trainer::GptConfig c;
    c.vocab = 4;
    c.padded_vocab = 128;
    c.layers = 1;
    c.width = 4;
    c.heads = 1;
    c.context = 4;
    c.method = gomhc::Method::go;
    c.d = 2;
    c.s = 1;
    return c;
}

inline std::vector<gomhc::trainer::ParamTensor> tiny_embeddings() {
    const auto c = tiny_config();
    using gomhc::trainer::ParamKind;
    return {{"wte", 0, {c.padded_vocab, c.width}, ParamKind::token_embedding, true},
            {"wpe", c.padded_vocab * c.width, {c.context, c.width}, ParamKind::position_embedding,
             true}};
}

}  // namespace gomhc_fuzz
