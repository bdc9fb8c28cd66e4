// The causal-attention softmax of the C++ API
// (generators/causal_softmax_generator.cpp), over slices of whole T x T
// matrices so each call stays within Halide's 32-bit indexing.
#include "buffer_slice.h"
#include "kernels.h"
#include "op_support.h"

namespace gomhc {

using detail::check_args;
using detail::check_kernel;
using detail::for_token_slices;
using detail::require_variant;

namespace {

// [H][T][T]: returns (H, T).
std::pair<int64_t, int64_t> matrices_shape(const char *op, const char *name,
                                           const TensorView &view) {
    const auto &s = view.shape();
    if (s.size() != 3 || s[0] < 1 || s[1] < 1 || s[1] != s[2]) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " +
                              view.shape_string() +
                              ", expected [H][T][T] (one square matrix per sequence and head)");
    }
    return {s[0], s[1]};
}

}  // namespace

void causal_softmax_forward(float scale, const TensorView &scores, const TensorView &probs) {
    const char *op = "gomhc::causal_softmax_forward";
    const auto [heads, t] = matrices_shape(op, "scores", scores);
    const Device device = check_args(op, {{"scores", scores, {heads, t, t}, "[H][T][T]", true},
                                          {"probs", probs, {heads, t, t}, "[H][T][T]", false}});
    int count = 0;
    const auto *table = kernels::causal_softmax_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    for_token_slices(heads, t * t, [&](int64_t first, int64_t size) {
        HalideBufferSlice s(scores, first, size), p(probs, first, size);
        check_kernel(op, fn(&s.buffer, scale, &p.buffer));
    });
}

void causal_softmax_backward(float scale, const TensorView &probs, const TensorView &dprobs,
                             const TensorView &dscores) {
    const char *op = "gomhc::causal_softmax_backward";
    const auto [heads, t] = matrices_shape(op, "probs", probs);
    const Device device = check_args(op, {{"probs", probs, {heads, t, t}, "[H][T][T]", true},
                                          {"dprobs", dprobs, {heads, t, t}, "[H][T][T]", true},
                                          {"dscores", dscores, {heads, t, t}, "[H][T][T]", false}});
    int count = 0;
    const auto *table = kernels::causal_softmax_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    for_token_slices(heads, t * t, [&](int64_t first, int64_t size) {
        HalideBufferSlice p(probs, first, size), dp(dprobs, first, size), ds(dscores, first, size);
        check_kernel(op, fn(&p.buffer, &dp.buffer, scale, &ds.buffer));
    });
}

}  // namespace gomhc
