// Stream mixing of the C++ API (generators/stream_mixing_generator.cpp): the
// read y = sum_j H_pre[j] X[j], the sum of the streams, and the write
// X_next = H_res X + H_post f, forward and backward. d and C come from x (or
// dx): [tokens][d][C].
#include <algorithm>

#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

namespace {

struct StreamShape {
    int64_t tokens, d, c;
};

StreamShape stream_shape(const char *op, const TensorView &x, const char *name = "x") {
    const int64_t tokens = leading_tokens(op, name, x, 3);
    const int64_t d = x.shape()[1], c = x.shape()[2];
    if (d < 1 || d > kMaxN) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " + x.shape_string() +
                              " with d = " + std::to_string(d) +
                              " streams, expected 1 <= d <= " + std::to_string(kMaxN));
    }
    if (c < 1) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " + x.shape_string() +
                              " with C = " + std::to_string(c) + " features, expected C >= 1");
    }
    return {tokens, d, c};
}

}  // namespace

void stream_read_forward(const TensorView &x, const TensorView &h_pre, const TensorView &y) {
    const char *op = "gomhc::stream_read_forward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device = check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"h_pre", h_pre, {tokens, d}, "[tokens][d]", true},
                                          {"y", y, {tokens, c}, "[tokens][C]", false}});
    auto fn = find_kernel(op, kernels::stream_read_forward_variants, device, int(d));
    call_sliced(op, fn, tokens, d * c, x, h_pre, y);
}

void stream_read_backward(const TensorView &x, const TensorView &h_pre, const TensorView &dy,
                          const TensorView &dx, const TensorView &dh_pre) {
    const char *op = "gomhc::stream_read_backward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device = check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"h_pre", h_pre, {tokens, d}, "[tokens][d]", true},
                                          {"dy", dy, {tokens, c}, "[tokens][C]", true},
                                          {"dx", dx, {tokens, d, c}, "[tokens][d][C]", false},
                                          {"dh_pre", dh_pre, {tokens, d}, "[tokens][d]", false}});
    auto fn = find_kernel(op, kernels::stream_read_backward_variants, device, int(d));
    call_sliced(op, fn, tokens, d * c, x, h_pre, dy, dx, dh_pre);
}

void stream_sum_forward(const TensorView &x, const TensorView &y, float scale) {
    const char *op = "gomhc::stream_sum_forward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device = check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"y", y, {tokens, c}, "[tokens][C]", false}});
    auto fn = find_kernel(op, kernels::stream_sum_forward_variants, device, int(d));
    call_sliced(op, fn, tokens, d * c, x, scale, y);
}

void stream_sum_backward(const TensorView &dy, const TensorView &dx, float scale) {
    const char *op = "gomhc::stream_sum_backward";
    const auto [tokens, d, c] = stream_shape(op, dx, "dx");
    const Device device = check_args(op, {{"dy", dy, {tokens, c}, "[tokens][C]", true},
                                          {"dx", dx, {tokens, d, c}, "[tokens][d][C]", false}});
    auto fn = find_kernel(op, kernels::stream_sum_backward_variants, device, int(d));
    call_sliced(op, fn, tokens, d * c, dy, scale, dx);
}

void stream_write_forward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                          const TensorView &f, const TensorView &x_next) {
    const char *op = "gomhc::stream_write_forward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device =
        check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                        {"h_res", h_res, {tokens, d, d}, "[tokens][d][d]", true},
                        {"h_post", h_post, {tokens, d}, "[tokens][d]", true},
                        {"f", f, {tokens, c}, "[tokens][C]", true},
                        {"x_next", x_next, {tokens, d, c}, "[tokens][d][C]", false}});
    auto fn = find_kernel(op, kernels::stream_write_forward_variants, device, int(d));
    call_sliced(op, fn, tokens, d * std::max(c, d), x, h_res, h_post, f, x_next);
}

void stream_write_backward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                           const TensorView &f, const TensorView &dx_next, const TensorView &dx,
                           const TensorView &dh_res, const TensorView &dh_post,
                           const TensorView &df) {
    const char *op = "gomhc::stream_write_backward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device =
        check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                        {"h_res", h_res, {tokens, d, d}, "[tokens][d][d]", true},
                        {"h_post", h_post, {tokens, d}, "[tokens][d]", true},
                        {"f", f, {tokens, c}, "[tokens][C]", true},
                        {"dx_next", dx_next, {tokens, d, c}, "[tokens][d][C]", true},
                        {"dx", dx, {tokens, d, c}, "[tokens][d][C]", false},
                        {"dh_res", dh_res, {tokens, d, d}, "[tokens][d][d]", false},
                        {"dh_post", dh_post, {tokens, d}, "[tokens][d]", false},
                        {"df", df, {tokens, c}, "[tokens][C]", false}});
    auto fn = find_kernel(op, kernels::stream_write_backward_variants, device, int(d));
    call_sliced(op, fn, tokens, d * std::max(c, d), x, h_res, h_post, f, dx_next, dx, dh_res,
                dh_post, df);
}

// The ops' descriptions (gomhc/ops.hpp): each takes tokens, d and C.
namespace {

StreamShape stream_sizes(const char *op, const std::vector<double> &z) {
    return {op_size(op, z, 0, "tokens"), op_size(op, z, 1, "d"), op_size(op, z, 2, "C")};
}

const OpInfo stream_read_forward_info{
    "stream_read_forward",
    {"tokens", "d", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = stream_sizes("stream_read_forward", z);
        return {{"x", {t, d, c}, false}, {"h_pre", {t, d}, false}, {"y", {t, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        stream_read_forward(v.tensor(0), v.tensor(1), v.tensor(2));
    },
    "",
    {{1, 1, 1}, {7, 4, 37}, {3, 3, 130}}};
const OpInfo stream_read_backward_info{
    "stream_read_backward",
    {"tokens", "d", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = stream_sizes("stream_read_backward", z);
        return {{"x", {t, d, c}, false},
                {"h_pre", {t, d}, false},
                {"dy", {t, c}, false},
                {"dx", {t, d, c}, true},
                {"dh_pre", {t, d}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        stream_read_backward(v.tensor(0), v.tensor(1), v.tensor(2), v.tensor(3), v.tensor(4));
    },
    "stream_read_forward",
    {{1, 1, 1}, {7, 4, 37}, {3, 3, 130}}};
// The sum takes a fourth size, the scale (1 sums, 1/d averages).
const OpInfo stream_sum_forward_info{"stream_sum_forward",
                                     {"tokens", "d", "C", "scale"},
                                     [](const std::vector<double> &z) -> std::vector<OpTensor> {
                                         const auto [t, d, c] =
                                             stream_sizes("stream_sum_forward", z);
                                         return {{"x", {t, d, c}, false}, {"y", {t, c}, true}};
                                     },
                                     [](const std::vector<double> &z, const OpData &v) {
                                         stream_sum_forward(v.tensor(0), v.tensor(1), float(z[3]));
                                     },
                                     "",
                                     {{1, 1, 1, 1.0}, {7, 4, 37, 0.25}, {3, 3, 130, 1.0}}};
const OpInfo stream_sum_backward_info{
    "stream_sum_backward",
    {"tokens", "d", "C", "scale"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = stream_sizes("stream_sum_backward", z);
        return {{"dy", {t, c}, false}, {"dx", {t, d, c}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        stream_sum_backward(v.tensor(0), v.tensor(1), float(z[3]));
    },
    "stream_sum_forward",
    {{1, 1, 1, 1.0}, {7, 4, 37, 0.25}, {3, 3, 130, 1.0}}};
const OpInfo stream_write_forward_info{
    "stream_write_forward",
    {"tokens", "d", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = stream_sizes("stream_write_forward", z);
        return {{"x", {t, d, c}, false},
                {"h_res", {t, d, d}, false},
                {"h_post", {t, d}, false},
                {"f", {t, c}, false},
                {"x_next", {t, d, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        stream_write_forward(v.tensor(0), v.tensor(1), v.tensor(2), v.tensor(3), v.tensor(4));
    },
    "",
    {{1, 1, 1}, {7, 4, 37}, {3, 3, 130}}};
const OpInfo stream_write_backward_info{
    "stream_write_backward",
    {"tokens", "d", "C"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const auto [t, d, c] = stream_sizes("stream_write_backward", z);
        return {
            {"x", {t, d, c}, false},     {"h_res", {t, d, d}, false},   {"h_post", {t, d}, false},
            {"f", {t, c}, false},        {"dx_next", {t, d, c}, false}, {"dx", {t, d, c}, true},
            {"dh_res", {t, d, d}, true}, {"dh_post", {t, d}, true},     {"df", {t, c}, true}};
    },
    [](const std::vector<double> &, const OpData &v) {
        stream_write_backward(v.tensor(0), v.tensor(1), v.tensor(2), v.tensor(3), v.tensor(4),
                              v.tensor(5), v.tensor(6), v.tensor(7), v.tensor(8));
    },
    "stream_write_forward",
    {{1, 1, 1}, {7, 4, 37}, {3, 3, 130}}};
const OpRegistration stream_read_forward_op(stream_read_forward_info);
const OpRegistration stream_read_backward_op(stream_read_backward_info);
const OpRegistration stream_sum_forward_op(stream_sum_forward_info);
const OpRegistration stream_sum_backward_op(stream_sum_backward_info);
const OpRegistration stream_write_forward_op(stream_write_forward_info);
const OpRegistration stream_write_backward_op(stream_write_backward_info);

}  // namespace

}  // namespace gomhc
