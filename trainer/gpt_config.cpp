#include "gpt_config.h"

namespace gomhc::trainer {

int64_t padded_vocab_for(int64_t vocab) { return (vocab + 127) / 128 * 128; }

const char *stream_output_name(StreamOutput output) {
    switch (output) {
        case StreamOutput::mean:
            return "mean";
        case StreamOutput::sum:
            return "sum";
        case StreamOutput::sum_then_norm:
            return "sum-then-norm";
    }
    return "?";
}

StreamOutput parse_stream_output(const std::string &name, const std::string &what) {
    for (StreamOutput o : {StreamOutput::mean, StreamOutput::sum, StreamOutput::sum_then_norm}) {
        if (name == stream_output_name(o)) {
            return o;
        }
    }
    throw InvalidArgument(what + " = '" + name + "', expected mean, sum or sum-then-norm");
}

void check_config(const GptConfig &c) {
    const auto fail = [](const std::string &what) { throw InvalidArgument("gpt config: " + what); };
    if (c.vocab < 2 || c.vocab > 65536) {
        fail("vocab = " + std::to_string(c.vocab) + ", expected 2 to 65536");
    }
    if (c.padded_vocab < c.vocab) {
        fail("padded_vocab = " + std::to_string(c.padded_vocab) +
             " is below vocab = " + std::to_string(c.vocab));
    }
    if (c.layers < 1) {
        fail("--layers = " + std::to_string(c.layers) + ", expected >= 1");
    }
    if (c.heads < 1 || c.width < 1 || c.width % c.heads != 0) {
        fail("--width = " + std::to_string(c.width) +
             " is not a positive multiple of --heads = " + std::to_string(c.heads));
    }
    if (c.context < 1) {
        fail("--ctx = " + std::to_string(c.context) + ", expected >= 1");
    }
    check_method_shape(c.method, c.d, c.s);
}

}  // namespace gomhc::trainer
