// The stream embedding of the C++ API (generators/stream_embed_generator.cpp):
// a learned row per stream added to every token's streams, and its gradient.
#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

namespace {

// x [T][d][C] and wse [d][C]: returns (T, d, C).
struct EmbedShape {
    int64_t tokens, d, c;
};
EmbedShape embed_shape(const char *op, const char *name, const TensorView &x) {
    const int64_t tokens = leading_tokens(op, name, x, 3);
    const int64_t d = x.shape()[1], c = x.shape()[2];
    if (d < 1 || c < 1) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " + x.shape_string() +
                              ", expected [tokens][d][C] with d, C >= 1");
    }
    return {tokens, d, c};
}

}  // namespace

void stream_embed_forward(const TensorView &x, const TensorView &wse, const TensorView &out) {
    const char *op = "gomhc::stream_embed_forward";
    const auto [tokens, d, c] = embed_shape(op, "x", x);
    const Device device = check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"wse", wse, {d, c}, "[d][C]", true},
                                          {"out", out, {tokens, d, c}, "[tokens][d][C]", false}});
    auto fn = find_kernel(op, kernels::stream_embed_forward_variants, device);
    call_sliced(op, fn, tokens, d * c, x, whole(wse), out);
}

void stream_embed_backward(const TensorView &dout, const TensorView &dwse) {
    const char *op = "gomhc::stream_embed_backward";
    const auto [tokens, d, c] = embed_shape(op, "dout", dout);
    if (tokens * d * c > std::numeric_limits<int32_t>::max()) {
        throw InvalidArgument(std::string(op) + ": 'dout' has shape " + dout.shape_string() +
                              ": T*d*C must stay below 2^31 (the sum runs over every token)");
    }
    const Device device = check_args(op, {{"dout", dout, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"dwse", dwse, {d, c}, "[d][C]", false}});
    auto fn = find_kernel(op, kernels::stream_embed_backward_variants, device);
    // The kernel adds into dwse: it is an input and the output.
    call_whole(op, fn, dout, dwse, dwse);
}

// The ops' descriptions (gomhc/ops.hpp): tokens, d, C.
namespace {

EmbedShape embed_sizes(const char *op, const std::vector<double> &z) {
    return {op_size(op, z, 0, "tokens"), op_size(op, z, 1, "d"), op_size(op, z, 2, "C")};
}

const OpInfo stream_embed_forward_info{
    "stream_embed_forward",
    {"tokens", "d", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = embed_sizes("stream_embed_forward", z);
        return {{"x", {t, d, c}, false}, {"wse", {d, c}, false}, {"out", {t, d, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        stream_embed_forward(v.tensor(0), v.tensor(1), v.tensor(2));
    },
    "",
    {{1, 1, 1}, {7, 4, 37}, {3, 3, 130}}};
// Not paired with the forward as its backward: x's gradient is dout itself,
// which the catalog's pairing (the backward writes d<input>) cannot say.
const OpInfo stream_embed_backward_info{
    "stream_embed_backward",
    {"tokens", "d", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = embed_sizes("stream_embed_backward", z);
        return {{"dout", {t, d, c}, false}, {"dwse", {d, c}, true, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        stream_embed_backward(v.tensor(0), v.tensor(1));
    },
    "",
    {{1, 1, 1}, {7, 4, 37}, {3, 3, 130}}};
const OpRegistration stream_embed_forward_op(stream_embed_forward_info);
const OpRegistration stream_embed_backward_op(stream_embed_backward_info);

}  // namespace

}  // namespace gomhc
