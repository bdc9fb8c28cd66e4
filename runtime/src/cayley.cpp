// The Cayley map of the C++ API (generators/cayley_generator.cpp): skew
// parameters -> orthogonal Q, and back.
#include <algorithm>

#include "cuda_driver.h"
#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

void cayley_forward(int d, int s, const TensorView &params, const TensorView &q) {
    const char *op = "gomhc::cayley_forward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "params", params, 2);
    const int64_t pairs = int64_t(n) * (n - 1) / 2;
    const Device device =
        check_args(op, {{"params", params, {tokens, pairs}, "[tokens][n(n-1)/2]", true},
                        {"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", false}});
    if (n == 1) {  // A is the 1 x 1 zero matrix, so Q = [1].
        fill(q, 1.0f);
        return;
    }
    auto fn = find_kernel(op, kernels::cayley_forward_variants, device, n);
    call_sliced(op, fn, tokens, int64_t(n) * n, n, params, q);
}

void cayley_backward(int d, int s, const TensorView &q, const TensorView &dq,
                     const TensorView &dparams) {
    const char *op = "gomhc::cayley_backward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "q", q, 3);
    const int64_t pairs = int64_t(n) * (n - 1) / 2;
    const Device device =
        check_args(op, {{"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", true},
                        {"dq", dq, {tokens, n, n}, "[tokens][n][n]", true},
                        {"dparams", dparams, {tokens, pairs}, "[tokens][n(n-1)/2]", false}});
    if (n == 1) {
        return;  // no parameters, nothing to write
    }
    auto fn = find_kernel(op, kernels::cayley_backward_variants, device, n);
    call_sliced(op, fn, tokens, int64_t(n) * n, q, dq, dparams);
}

// The ops' descriptions (gomhc/ops.hpp).
namespace {

// tokens, d, s -> (T, n, P = n(n-1)/2)
struct CayleySizes {
    int64_t t, n, p;
};
CayleySizes cayley_sizes(const char *op, const std::vector<double> &z) {
    const int64_t t = op_size(op, z, 0, "tokens");
    const int n = check_ds(op, op_int_size(op, z, 1, "d"), op_int_size(op, z, 2, "s"));
    return {t, n, int64_t(n) * (n - 1) / 2};
}

const OpInfo cayley_forward_info{"cayley_forward",
                                 {"tokens", "d", "s"},
                                 [](const std::vector<double> &z) -> std::vector<OpTensor> {
                                     const auto [t, n, p] = cayley_sizes("cayley_forward", z);
                                     return {{"params", {t, p}, false}, {"q", {t, n, n}, true}};
                                 },
                                 [](const std::vector<double> &z, const OpData &v) {
                                     cayley_forward(int(z[1]), int(z[2]), v.tensor(0), v.tensor(1));
                                 },
                                 "",
                                 {{1, 2, 1}, {7, 4, 2}, {3, 3, 3}}};
const OpInfo cayley_backward_info{
    "cayley_backward",
    {"tokens", "d", "s"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, n, p] = cayley_sizes("cayley_backward", z);
        return {{"q", {t, n, n}, false}, {"dq", {t, n, n}, false}, {"dparams", {t, p}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        cayley_backward(int(z[1]), int(z[2]), v.tensor(0), v.tensor(1), v.tensor(2));
    },
    "cayley_forward",
    {{1, 2, 1}, {7, 4, 2}, {3, 3, 3}}};
const OpRegistration cayley_forward_op(cayley_forward_info);
const OpRegistration cayley_backward_op(cayley_backward_info);

}  // namespace

}  // namespace gomhc
