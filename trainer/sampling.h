// Text generation from a trained GPT: temperature and top-k sampling over
// the model's logits, and byte tokens decoded as UTF-8.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gpt.h"
#include "utf8.h"

namespace gomhc::trainer {

struct SampleSettings {
    int64_t tokens = 256;
    double temperature = 1.0;  // 0: always the most likely token
    int64_t top_k = 0;         // 0: the whole vocabulary
    uint64_t seed = 1;
};

// Continues `prompt` (token ids, at least one) by settings.tokens tokens,
// each from the logits of the last --ctx tokens. Returns the new tokens.
std::vector<int32_t> generate(Gpt &gpt, std::vector<int32_t> prompt,
                              const SampleSettings &settings);

// Byte tokens as text, through valid_utf8.
std::string decode_bytes(const std::vector<int32_t> &tokens);

}  // namespace gomhc::trainer
