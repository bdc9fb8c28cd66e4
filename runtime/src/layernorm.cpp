// The LayerNorm ops of the C++ API (generators/layernorm_generator.cpp).
#include <limits>

#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

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
    auto fn = find_kernel(op, kernels::layernorm_forward_variants, device);
    call_whole(op, fn, x, gamma, beta, y, mean, rstd);
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
    auto fn = find_kernel(op, kernels::layernorm_backward_variants, device);
    call_whole(op, fn, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
}

// The ops' descriptions (gomhc/ops.hpp): rows of C features.
namespace {

const OpInfo layernorm_forward_info{
    "layernorm_forward",
    {"tokens", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "layernorm_forward";
        const int64_t t = op_size(op, z, 0, "tokens"), c = op_size(op, z, 1, "C");
        return {{"x", {t, c}, false}, {"gamma", {c}, false}, {"beta", {c}, false},
                {"y", {t, c}, true},  {"mean", {t}, true},   {"rstd", {t}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        layernorm_forward(v.tensor(0), v.tensor(1), v.tensor(2), v.tensor(3), v.tensor(4),
                          v.tensor(5));
    },
    "",
    {{1, 1}, {7, 37}, {3, 130}, {77, 384}}};
const OpInfo layernorm_backward_info{
    "layernorm_backward",
    {"tokens", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "layernorm_backward";
        const int64_t t = op_size(op, z, 0, "tokens"), c = op_size(op, z, 1, "C");
        return {{"dy", {t, c}, false}, {"x", {t, c}, false}, {"gamma", {c}, false},
                {"mean", {t}, false},  {"rstd", {t}, false}, {"dx", {t, c}, true},
                {"dgamma", {c}, true}, {"dbeta", {c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        layernorm_backward(v.tensor(0), v.tensor(1), v.tensor(2), v.tensor(3), v.tensor(4),
                           v.tensor(5), v.tensor(6), v.tensor(7));
    },
    "layernorm_forward",
    {{1, 1}, {7, 37}, {3, 130}, {77, 384}}};
const OpRegistration layernorm_forward_op(layernorm_forward_info);
const OpRegistration layernorm_backward_op(layernorm_backward_info);

}  // namespace

}  // namespace gomhc
