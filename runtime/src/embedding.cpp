// The embedding ops of the C++ API (generators/embedding_generator.cpp).
#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

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
    auto fn = find_kernel(op, kernels::embedding_forward_variants, device);
    call_whole(op, fn, tokens, wte, wpe, out);
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
    auto fn = find_kernel(op, kernels::embedding_backward_variants, device);
    // The kernel adds into dwte and dwpe: they are its inputs and outputs.
    call_whole(op, fn, tokens, dout, dwte, dwpe, dwte, dwpe);
}

// The ops' descriptions (gomhc/ops.hpp): B sequences of T tokens, d
// streams of C features, a vocabulary of V and P positions.
namespace {

struct EmbeddingSizes {
    int64_t b, t, d, c, v, p;
};
EmbeddingSizes embedding_sizes(const char *op, const std::vector<double> &z) {
    return {op_size(op, z, 0, "B"), op_size(op, z, 1, "T"), op_size(op, z, 2, "d"),
            op_size(op, z, 3, "C"), op_size(op, z, 4, "V"), op_size(op, z, 5, "P")};
}

const OpInfo embedding_forward_info{
    "embedding_forward",
    {"B", "T", "d", "C", "V", "P"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [b, t, d, c, v, p] = embedding_sizes("embedding_forward", z);
        return {{"tokens", {b, t}, false, false, v},
                {"wte", {v, c}, false},
                {"wpe", {p, c}, false},
                {"out", {b, t, d, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        embedding_forward(v.ids(0), v.tensor(1), v.tensor(2), v.tensor(3));
    },
    "",
    {{1, 1, 1, 1, 1, 1}, {2, 5, 3, 37, 11, 7}, {3, 37, 4, 96, 300, 37}}};
const OpInfo embedding_backward_info{
    "embedding_backward",
    {"B", "T", "d", "C", "V", "P"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [b, t, d, c, v, p] = embedding_sizes("embedding_backward", z);
        return {{"tokens", {b, t}, false, false, v},
                {"dout", {b, t, d, c}, false},
                {"dwte", {v, c}, true, true},
                {"dwpe", {p, c}, true, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        embedding_backward(v.ids(0), v.tensor(1), v.tensor(2), v.tensor(3));
    },
    "embedding_forward",
    {{1, 1, 1, 1, 1, 1}, {2, 5, 3, 37, 11, 7}, {3, 37, 4, 96, 300, 37}}};
const OpRegistration embedding_forward_op(embedding_forward_info);
const OpRegistration embedding_backward_op(embedding_backward_info);

}  // namespace

}  // namespace gomhc
