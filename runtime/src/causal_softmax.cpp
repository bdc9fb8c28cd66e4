// The causal-attention softmax of the C++ API
// (generators/causal_softmax_generator.cpp), over slices of whole T x T
// matrices so each call stays within Halide's 32-bit indexing.
#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

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
    auto fn = find_kernel(op, kernels::causal_softmax_forward_variants, device);
    call_sliced(op, fn, heads, t * t, scores, scale, probs);
}

void causal_softmax_backward(float scale, const TensorView &probs, const TensorView &dprobs,
                             const TensorView &dscores) {
    const char *op = "gomhc::causal_softmax_backward";
    const auto [heads, t] = matrices_shape(op, "probs", probs);
    const Device device = check_args(op, {{"probs", probs, {heads, t, t}, "[H][T][T]", true},
                                          {"dprobs", dprobs, {heads, t, t}, "[H][T][T]", true},
                                          {"dscores", dscores, {heads, t, t}, "[H][T][T]", false}});
    auto fn = find_kernel(op, kernels::causal_softmax_backward_variants, device);
    call_sliced(op, fn, heads, t * t, probs, dprobs, scale, dscores);
}

// The ops' descriptions (gomhc/ops.hpp): H matrices of T x T, a scale.
namespace {

const OpInfo causal_softmax_forward_info{
    "causal_softmax_forward",
    {"H", "T", "scale"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "causal_softmax_forward";
        const int64_t h = op_size(op, z, 0, "H"), t = op_size(op, z, 1, "T");
        return {{"scores", {h, t, t}, false}, {"probs", {h, t, t}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        causal_softmax_forward(float(z[2]), v.tensor(0), v.tensor(1));
    },
    "",
    {{1, 1, 1.0}, {3, 13, 0.25}, {6, 70, 0.125}}};
const OpInfo causal_softmax_backward_info{
    "causal_softmax_backward",
    {"H", "T", "scale"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "causal_softmax_backward";
        const int64_t h = op_size(op, z, 0, "H"), t = op_size(op, z, 1, "T");
        return {{"probs", {h, t, t}, false},
                {"dprobs", {h, t, t}, false},
                {"dscores", {h, t, t}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        causal_softmax_backward(float(z[2]), v.tensor(0), v.tensor(1), v.tensor(2));
    },
    "causal_softmax_forward",
    {{1, 1, 1.0}, {3, 13, 0.25}, {6, 70, 0.125}}};
const OpRegistration causal_softmax_forward_op(causal_softmax_forward_info);
const OpRegistration causal_softmax_backward_op(causal_softmax_backward_info);

}  // namespace

}  // namespace gomhc
