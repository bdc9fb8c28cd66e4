// The softmax cross-entropy of the C++ API
// (generators/cross_entropy_generator.cpp), over token slices.
#include <limits>

#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

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
    auto fn = find_kernel(op, kernels::cross_entropy_forward_variants, device);
    call_sliced(op, fn, tokens, padded, logits, targets, int32_t(vocab), loss, lse);
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
    auto fn = find_kernel(op, kernels::cross_entropy_backward_variants, device);
    call_sliced(op, fn, tokens, padded, logits, targets, lse, int32_t(vocab), scale, dlogits);
}

// The ops' descriptions (gomhc/ops.hpp): T tokens' logits over a padded
// vocabulary of Vp entries, of which the first `vocab` count.
namespace {

const OpInfo cross_entropy_forward_info{
    "cross_entropy_forward",
    {"tokens", "Vp", "vocab"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "cross_entropy_forward";
        const int64_t t = op_size(op, z, 0, "tokens"), vp = op_size(op, z, 1, "Vp");
        return {{"logits", {t, vp}, false},
                {"targets", {t}, false, false, op_size(op, z, 2, "vocab")},
                {"loss", {t}, true},
                {"lse", {t}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        cross_entropy_forward(int64_t(z[2]), v.tensor(0), v.ids(1), v.tensor(2), v.tensor(3));
    },
    "",
    {{1, 1, 1}, {7, 40, 37}, {45, 384, 300}}};
const OpInfo cross_entropy_backward_info{
    "cross_entropy_backward",
    {"tokens", "Vp", "vocab", "scale"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        const char *op = "cross_entropy_backward";
        const int64_t t = op_size(op, z, 0, "tokens"), vp = op_size(op, z, 1, "Vp");
        return {{"logits", {t, vp}, false},
                {"targets", {t}, false, false, op_size(op, z, 2, "vocab")},
                {"lse", {t}, false},
                {"dlogits", {t, vp}, true}};
    },
    [](const std::vector<double> &z, const OpData &v) {
        cross_entropy_backward(int64_t(z[2]), float(z[3]), v.tensor(0), v.ids(1), v.tensor(2),
                               v.tensor(3));
    },
    "cross_entropy_forward",
    {{1, 1, 1, 1.0}, {7, 40, 37, 0.125}, {45, 384, 300, 1.0 / 45}}};
const OpRegistration cross_entropy_forward_op(cross_entropy_forward_info);
const OpRegistration cross_entropy_backward_op(cross_entropy_backward_info);

}  // namespace

}  // namespace gomhc
