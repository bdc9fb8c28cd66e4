// The softmax cross-entropy of the C++ API
// (generators/cross_entropy_generator.cpp), over token slices.
#include <limits>

#include "buffer_slice.h"
#include "kernels.h"
#include "op_support.h"

namespace gomhc {

using detail::check_args;
using detail::check_kernel;
using detail::check_tokens;
using detail::for_token_slices;
using detail::leading_tokens;
using detail::require_variant;

namespace {

// logits [T][Vp] with 1 <= vocab <= Vp: returns (T, Vp).
std::pair<int64_t, int64_t> logits_shape(const char *op, const TensorView &logits, int64_t vocab) {
    const int64_t tokens = leading_tokens(op, "logits", logits, 2);
    const int64_t padded = logits.shape()[1];
    if (vocab < 1 || vocab > padded || vocab > std::numeric_limits<int32_t>::max()) {
        throw InvalidArgument(std::string(op) + ": vocab = " + std::to_string(vocab) +
                              ", expected 1 <= vocab <= Vp = " + std::to_string(padded) +
                              " (logits of shape " + logits.shape_string() + ")");
    }
    return {tokens, padded};
}

}  // namespace

void cross_entropy_forward(int64_t vocab, const TensorView &logits, const TokenView &targets,
                           const TensorView &loss, const TensorView &lse) {
    const char *op = "gomhc::cross_entropy_forward";
    const auto [tokens, padded] = logits_shape(op, logits, vocab);
    const Device device = check_args(op, {{"logits", logits, {tokens, padded}, "[T][Vp]", true},
                                          {"loss", loss, {tokens}, "[T]", false},
                                          {"lse", lse, {tokens}, "[T]", false}});
    check_tokens(op, "targets", targets, {tokens}, "[T]", device, vocab);
    int count = 0;
    const auto *table = kernels::cross_entropy_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    for_token_slices(tokens, padded, [&](int64_t first, int64_t size) {
        HalideBufferSlice l(logits, first, size), t(targets, first, size), out(loss, first, size),
            s(lse, first, size);
        check_kernel(op, fn(&l.buffer, &t.buffer, int32_t(vocab), &out.buffer, &s.buffer));
    });
}

void cross_entropy_backward(int64_t vocab, float scale, const TensorView &logits,
                            const TokenView &targets, const TensorView &lse,
                            const TensorView &dlogits) {
    const char *op = "gomhc::cross_entropy_backward";
    const auto [tokens, padded] = logits_shape(op, logits, vocab);
    const Device device =
        check_args(op, {{"logits", logits, {tokens, padded}, "[T][Vp]", true},
                        {"lse", lse, {tokens}, "[T]", true},
                        {"dlogits", dlogits, {tokens, padded}, "[T][Vp]", false}});
    check_tokens(op, "targets", targets, {tokens}, "[T]", device, vocab);
    int count = 0;
    const auto *table = kernels::cross_entropy_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    for_token_slices(tokens, padded, [&](int64_t first, int64_t size) {
        HalideBufferSlice l(logits, first, size), t(targets, first, size), s(lse, first, size),
            dl(dlogits, first, size);
        check_kernel(op, fn(&l.buffer, &t.buffer, &s.buffer, int32_t(vocab), scale, &dl.buffer));
    });
}

}  // namespace gomhc
