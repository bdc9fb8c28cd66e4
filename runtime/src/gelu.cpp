// The GELU ops of the C++ API (generators/gelu_generator.cpp): elementwise
// over the tensors' elements, in chunks of 2^30 (Halide's 32-bit indexing).
#include <algorithm>
#include <string>
#include <vector>

#include "buffer_slice.h"
#include "kernels.h"
#include "op_support.h"

namespace gomhc {

using detail::check_args;
using detail::check_kernel;
using detail::flat;
using detail::require_variant;

namespace {

constexpr int64_t kChunk = int64_t(1) << 30;

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
    int count = 0;
    const auto *table = kernels::gelu_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    const TensorView xf = flat(x), yf = flat(y);
    for (int64_t first = 0; first < x.size(); first += kChunk) {
        const int64_t n = std::min(kChunk, x.size() - first);
        HalideBufferSlice xs(xf, first, n), ys(yf, first, n);
        check_kernel(op, fn(&xs.buffer, &ys.buffer));
    }
}

void gelu_backward(const TensorView &x, const TensorView &dy, const TensorView &dx) {
    const char *op = "gomhc::gelu_backward";
    const Shape shape = shape_of(op, x);
    const Device device = check_args(op, {{"x", x, shape, "x's shape", true},
                                          {"dy", dy, shape, "x's shape", true},
                                          {"dx", dx, shape, "x's shape", false}});
    int count = 0;
    const auto *table = kernels::gelu_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, device), device);
    const TensorView xf = flat(x), dyf = flat(dy), dxf = flat(dx);
    for (int64_t first = 0; first < x.size(); first += kChunk) {
        const int64_t n = std::min(kChunk, x.size() - first);
        HalideBufferSlice xs(xf, first, n), dys(dyf, first, n), dxs(dxf, first, n);
        check_kernel(op, fn(&xs.buffer, &dys.buffer, &dxs.buffer));
    }
}

}  // namespace gomhc
