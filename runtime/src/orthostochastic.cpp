// The block Hadamard-square projection of the C++ API
// (generators/orthostochastic_generator.cpp): Q -> H and back; and which
// (d, s) the build specialised the go-mHC kernels for.
#include <algorithm>

#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

std::string kernel_variant(int d, int s) {
    check_ds("gomhc::kernel_variant", d, s);
    int count = 0;
    const auto *table = kernels::orthostochastic_forward_variants(&count);
    return kernels::choose(table, count, d, s, Device::host).specialised ? "specialised"
                                                                         : "generic";
}

std::vector<std::pair<int, int>> specialised_shapes() {
    int count = 0;
    const auto *table = kernels::orthostochastic_forward_variants(&count);
    std::vector<std::pair<int, int>> shapes;
    for (int i = 0; i < count; i++) {
        if (table[i].device == Device::host && table[i].a > 0) {
            shapes.emplace_back(table[i].a, table[i].b);
        }
    }
    std::sort(shapes.begin(), shapes.end());
    return shapes;
}

void orthostochastic_forward(int d, int s, const TensorView &q, const TensorView &h) {
    const char *op = "gomhc::orthostochastic_forward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "q", q, 3);
    const Device device =
        check_args(op, {{"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", true},
                        {"h", h, {tokens, d, d}, "[tokens][d][d]", false}});
    auto fn = find_kernel(op, kernels::orthostochastic_forward_variants, device, d, s);
    call_sliced(op, fn, tokens, int64_t(n) * n, d, s, q, h);
}

void orthostochastic_backward(int d, int s, const TensorView &q, const TensorView &dh,
                              const TensorView &dq) {
    const char *op = "gomhc::orthostochastic_backward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "q", q, 3);
    const Device device =
        check_args(op, {{"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", true},
                        {"dh", dh, {tokens, d, d}, "[tokens][d][d]", true},
                        {"dq", dq, {tokens, n, n}, "[tokens][n][n]", false}});
    auto fn = find_kernel(op, kernels::orthostochastic_backward_variants, device, d, s);
    call_sliced(op, fn, tokens, int64_t(n) * n, d, s, q, dh, dq);
}

// The ops' descriptions (gomhc/ops.hpp).
namespace {

// tokens, d, s -> (T, d, n)
struct ProjectionSizes {
    int64_t t, d, n;
};
ProjectionSizes projection_sizes(const char *op, const std::vector<double> &z) {
    const int64_t t = op_size(op, z, 0, "tokens");
    const int d = op_int_size(op, z, 1, "d");
    return {t, d, check_ds(op, d, op_int_size(op, z, 2, "s"))};
}

const OpInfo orthostochastic_forward_info{
    "orthostochastic_forward",
    {"tokens", "d", "s"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, n] = projection_sizes("orthostochastic_forward", z);
        return {{"q", {t, n, n}, false}, {"h", {t, d, d}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        orthostochastic_forward(int(z[1]), int(z[2]), v.tensor(0), v.tensor(1));
    },
    "",
    {{1, 2, 1}, {7, 4, 2}, {3, 3, 3}}};
const OpInfo orthostochastic_backward_info{
    "orthostochastic_backward",
    {"tokens", "d", "s"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, n] = projection_sizes("orthostochastic_backward", z);
        return {{"q", {t, n, n}, false}, {"dh", {t, d, d}, false}, {"dq", {t, n, n}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        orthostochastic_backward(int(z[1]), int(z[2]), v.tensor(0), v.tensor(1), v.tensor(2));
    },
    "orthostochastic_forward",
    {{1, 2, 1}, {7, 4, 2}, {3, 3, 3}}};
const OpRegistration orthostochastic_forward_op(orthostochastic_forward_info);
const OpRegistration orthostochastic_backward_op(orthostochastic_backward_info);

}  // namespace

}  // namespace gomhc
