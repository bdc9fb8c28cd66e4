// The GPT's shape and choices (docs/trainer.md, "The model"), apart from the
// model so that the checkpoint readers need no kernels.
#pragma once

#include <cstdint>
#include <gomhc/gomhc.hpp>
#include <string>

namespace gomhc::trainer {

// How the d streams become the head's input (docs/trainer.md, "Combining
// the streams").
enum class StreamOutput {
    mean,           // each stream normalised by ln_f, then averaged
    sum,            // each normalised, then summed (the go-mHC authors' head)
    sum_then_norm,  // summed, then normalised once (hyper-connections' head)
};
// "mean", "sum", "sum-then-norm"; parse throws InvalidArgument naming `what`.
const char *stream_output_name(StreamOutput output);
StreamOutput parse_stream_output(const std::string &name, const std::string &what);

struct GptConfig {
    int64_t vocab = 256;         // real vocabulary
    int64_t padded_vocab = 256;  // rows of wte: vocab rounded up to a multiple of 128 above 256
    int64_t layers = 2;
    int64_t width = 64;  // C
    int64_t heads = 2;
    int64_t context = 64;  // T_max, rows of wpe
    Method method = Method::residual;
    int d = 1;
    int s = 1;
    uint64_t seed = 1;
    // Where the hyper-connections' gates start (docs/math.md section 3.1):
    // sub-layer k's favour stream k mod d, or every stream alike.
    bool symmetric_start = false;
    StreamOutput output = StreamOutput::mean;
};

// vocab rounded up as llm.c pads it (a multiple of 128; 256 stays 256).
int64_t padded_vocab_for(int64_t vocab);
// Throws gomhc::InvalidArgument naming the field when the config cannot
// make a model (width not divisible by heads, method refusing (d, s), ...).
void check_config(const GptConfig &config);

}  // namespace gomhc::trainer
