// The LayerNorm ops of the C++ API (generators/layernorm_generator.cpp).
#include <limits>

#include "buffer_slice.h"
#include "kernels.h"
#include "op_support.h"

namespace gomhc {

using detail::check_args;
using detail::check_kernel;
using detail::leading_tokens;
using detail::require_variant;

namespace {

struct RowShape {
    int64_t tokens, c;
};

// [T][C] with C >= 1, and T*C within Halide's 32-bit indexing (the backward's
// parameter gradients sum over all tokens in one call, so no slicing).
RowShape row_shape(const char *op, const char *name, const TensorView &x) {
    const int64_t tokens = leading_tokens(op, name, x, 2);
    const int64_t c = x.shape()[1];
    if (c < 1) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " + x.shape_string() +
                              ", expected C >= 1 features");
    }
    if (tokens * c > std::numeric_limits<int32_t>::max()) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " + x.shape_string() +
                              ": T*C must stay below 2^31; call it on fewer tokens");
    }
    return {tokens, c};
}

}  // namespace

void layernorm_forward(const TensorView &x, const TensorView &gamma, const TensorView &beta,
                       const TensorView &y, const TensorView &mean, const TensorView &rstd) {
    const char *op = "gomhc::layernorm_forward";
    const auto [tokens, c] = row_shape(op, "x", x);
    const Device device = check_args(op, {{"x", x, {tokens, c}, "[tokens][C]", true},
                                          {"gamma", gamma, {c}, "[C]", true},
                                          {"beta", beta, {c}, "[C]", true},
                                          {"y", y, {tokens, c}, "[tokens][C]", false},
                                          {"mean", mean, {tokens}, "[tokens]", false},
                                          {"rstd", rstd, {tokens}, "[tokens]", false}});
    int count = 0;
    const auto *table = kernels::layernorm_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    HalideBufferSlice x_s(x, 0, tokens), gamma_s(gamma, 0, c), beta_s(beta, 0, c),
        y_s(y, 0, tokens), mean_s(mean, 0, tokens), rstd_s(rstd, 0, tokens);
    check_kernel(op, fn(&x_s.buffer, &gamma_s.buffer, &beta_s.buffer, &y_s.buffer, &mean_s.buffer,
                        &rstd_s.buffer));
}

void layernorm_backward(const TensorView &dy, const TensorView &x, const TensorView &gamma,
                        const TensorView &mean, const TensorView &rstd, const TensorView &dx,
                        const TensorView &dgamma, const TensorView &dbeta) {
    const char *op = "gomhc::layernorm_backward";
    const auto [tokens, c] = row_shape(op, "x", x);
    const Device device = check_args(op, {{"dy", dy, {tokens, c}, "[tokens][C]", true},
                                          {"x", x, {tokens, c}, "[tokens][C]", true},
                                          {"gamma", gamma, {c}, "[C]", true},
                                          {"mean", mean, {tokens}, "[tokens]", true},
                                          {"rstd", rstd, {tokens}, "[tokens]", true},
                                          {"dx", dx, {tokens, c}, "[tokens][C]", false},
                                          {"dgamma", dgamma, {c}, "[C]", false},
                                          {"dbeta", dbeta, {c}, "[C]", false}});
    int count = 0;
    const auto *table = kernels::layernorm_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    HalideBufferSlice dy_s(dy, 0, tokens), x_s(x, 0, tokens), gamma_s(gamma, 0, c),
        mean_s(mean, 0, tokens), rstd_s(rstd, 0, tokens), dx_s(dx, 0, tokens),
        dgamma_s(dgamma, 0, c), dbeta_s(dbeta, 0, c);
    check_kernel(op, fn(&dy_s.buffer, &x_s.buffer, &gamma_s.buffer, &mean_s.buffer, &rstd_s.buffer,
                        &dx_s.buffer, &dgamma_s.buffer, &dbeta_s.buffer));
}

}  // namespace gomhc
