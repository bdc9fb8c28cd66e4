// The embedding ops of the C++ API (generators/embedding_generator.cpp).
#include "buffer_slice.h"
#include "kernels.h"
#include "op_support.h"

namespace gomhc {

using detail::check_args;
using detail::check_kernel;
using detail::check_tokens;
using detail::require_variant;

namespace {

struct EmbeddingShape {
    int64_t sequences, positions, vocab, c;
};

// tokens [B][T] and wte [V][C], wpe [P][C] with P >= T.
EmbeddingShape embedding_shape(const char *op, const TokenView &tokens, const char *wte_name,
                               const TensorView &wte, const char *wpe_name, const TensorView &wpe) {
    if (tokens.shape().size() != 2 || tokens.shape()[0] < 1 || tokens.shape()[1] < 1) {
        throw InvalidArgument(std::string(op) + ": 'tokens' has shape " + tokens.shape_string() +
                              ", expected [B][T] with B, T >= 1");
    }
    if (wte.shape().size() != 2 || wte.shape()[0] < 1 || wte.shape()[1] < 1) {
        throw InvalidArgument(std::string(op) + ": '" + wte_name + "' has shape " +
                              wte.shape_string() + ", expected [V][C] with V, C >= 1");
    }
    const EmbeddingShape shape{tokens.shape()[0], tokens.shape()[1], wte.shape()[0],
                               wte.shape()[1]};
    if (wpe.shape().size() != 2 || wpe.shape()[0] < shape.positions || wpe.shape()[1] != shape.c) {
        throw InvalidArgument(std::string(op) + ": '" + wpe_name + "' has shape " +
                              wpe.shape_string() + ", expected [P][" + std::to_string(shape.c) +
                              "] with P >= T = " + std::to_string(shape.positions));
    }
    return shape;
}

// out [B][T][d][C]: the stream count d.
int64_t stream_count(const char *op, const char *name, const TensorView &out,
                     const EmbeddingShape &shape) {
    const auto &s = out.shape();
    if (s.size() != 4 || s[0] != shape.sequences || s[1] != shape.positions || s[2] < 1 ||
        s[3] != shape.c) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " + out.shape_string() +
                              ", expected [" + std::to_string(shape.sequences) + "][" +
                              std::to_string(shape.positions) + "][d][" + std::to_string(shape.c) +
                              "] = [B][T][d][C] with d >= 1");
    }
    return s[2];
}

}  // namespace

void embedding_forward(const TokenView &tokens, const TensorView &wte, const TensorView &wpe,
                       const TensorView &out) {
    const char *op = "gomhc::embedding_forward";
    const EmbeddingShape shape = embedding_shape(op, tokens, "wte", wte, "wpe", wpe);
    stream_count(op, "out", out, shape);
    const Device device = check_args(op, {{"wte", wte, wte.shape(), "[V][C]", true},
                                          {"wpe", wpe, wpe.shape(), "[P][C]", true},
                                          {"out", out, out.shape(), "[B][T][d][C]", false}});
    check_tokens(op, "tokens", tokens, tokens.shape(), "[B][T]", device, shape.vocab);
    int count = 0;
    const auto *table = kernels::embedding_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    HalideBufferSlice tokens_s(tokens, 0, shape.sequences), wte_s(wte, 0, shape.vocab),
        wpe_s(wpe, 0, wpe.shape()[0]), out_s(out, 0, shape.sequences);
    check_kernel(op, fn(&tokens_s.buffer, &wte_s.buffer, &wpe_s.buffer, &out_s.buffer));
}

void embedding_backward(const TokenView &tokens, const TensorView &dout, const TensorView &dwte,
                        const TensorView &dwpe) {
    const char *op = "gomhc::embedding_backward";
    const EmbeddingShape shape = embedding_shape(op, tokens, "dwte", dwte, "dwpe", dwpe);
    stream_count(op, "dout", dout, shape);
    const Device device = check_args(op, {{"dout", dout, dout.shape(), "[B][T][d][C]", true},
                                          {"dwte", dwte, dwte.shape(), "[V][C]", false},
                                          {"dwpe", dwpe, dwpe.shape(), "[P][C]", false}});
    check_tokens(op, "tokens", tokens, tokens.shape(), "[B][T]", device, shape.vocab);
    int count = 0;
    const auto *table = kernels::embedding_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    HalideBufferSlice tokens_s(tokens, 0, shape.sequences), dout_s(dout, 0, shape.sequences),
        dwte_in(dwte, 0, shape.vocab), dwpe_in(dwpe, 0, dwpe.shape()[0]),
        dwte_out(dwte, 0, shape.vocab), dwpe_out(dwpe, 0, dwpe.shape()[0]);
    check_kernel(op, fn(&tokens_s.buffer, &dout_s.buffer, &dwte_in.buffer, &dwpe_in.buffer,
                        &dwte_out.buffer, &dwpe_out.buffer));
}

}  // namespace gomhc
