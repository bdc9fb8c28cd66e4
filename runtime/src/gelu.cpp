// The GELU ops of the C++ API (generators/gelu_generator.cpp): elementwise
// over the tensors' elements, flattened and sliced for Halide's 32-bit
// indexing.
#include <string>

#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

namespace {

Shape shape_of(const char *op, const TensorView &x) {
    if (x.shape().empty()) {
        throw InvalidArgument(std::string(op) + ": 'x' has no dimensions");
    }
    return x.shape();
}

}  // namespace

void gelu_forward(const TensorView &x, const TensorView &y) {
    const char *op = "gomhc::gelu_forward";
    const Shape shape = shape_of(op, x);
    const Device device =
        check_args(op, {{"x", x, shape, "x's shape", true}, {"y", y, shape, "x's shape", false}});
    auto fn = find_kernel(op, kernels::gelu_forward_variants, device);
    call_sliced(op, fn, x.size(), 1, flat(x), flat(y));
}

void gelu_backward(const TensorView &x, const TensorView &dy, const TensorView &dx) {
    const char *op = "gomhc::gelu_backward";
    const Shape shape = shape_of(op, x);
    const Device device = check_args(op, {{"x", x, shape, "x's shape", true},
                                          {"dy", dy, shape, "x's shape", true},
                                          {"dx", dx, shape, "x's shape", false}});
    auto fn = find_kernel(op, kernels::gelu_backward_variants, device);
    call_sliced(op, fn, x.size(), 1, flat(x), flat(dy), flat(dx));
}

// The ops' descriptions (gomhc/ops.hpp), over [tokens][C].
namespace {

const OpInfo gelu_forward_info{
    "gelu_forward",
    {"tokens", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "gelu_forward";
        const int64_t t = op_size(op, z, 0, "tokens"), c = op_size(op, z, 1, "C");
        return {{"x", {t, c}, false}, {"y", {t, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) { gelu_forward(v.tensor(0), v.tensor(1)); },
    "",
    {{1, 1}, {7, 37}, {33, 3072}}};
const OpInfo gelu_backward_info{
    "gelu_backward",
    {"tokens", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "gelu_backward";
        const int64_t t = op_size(op, z, 0, "tokens"), c = op_size(op, z, 1, "C");
        return {{"x", {t, c}, false}, {"dy", {t, c}, false}, {"dx", {t, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        gelu_backward(v.tensor(0), v.tensor(1), v.tensor(2));
    },
    "gelu_forward",
    {{1, 1}, {7, 37}, {33, 3072}}};
const OpRegistration gelu_forward_op(gelu_forward_info);
const OpRegistration gelu_backward_op(gelu_backward_info);

}  // namespace

}  // namespace gomhc
