// The hyper-connection layer's coefficient path (generators/
// coefficients_generator.cpp): internal kernels the layer calls, with no
// entry in the op catalog, so their tensors are described here for the
// tuner. Sizes tokens, d, C and K coefficients per token; the backward adds
// its gradients into its outputs (the layer accumulates).
#include "layer_reference.h"
#include "op_reference.h"

namespace gomhc::reference {
namespace {

struct CoefficientSizes {
    int64_t tokens;
    int d;
    int64_t c, k;
};
CoefficientSizes coefficient_sizes(const Sizes &z) {
    return {size_at(z, 0), int(size_at(z, 1)), size_at(z, 2), size_at(z, 3)};
}

std::vector<OpTensor> forward_tensors(const Sizes &z) {
    const auto [t, d, c, k] = coefficient_sizes(z);
    return {{"x", {t, d, c}, false},  {"w", {k, d, c}, false},
            {"bias", {k}, false},     {"scales", {3}, false},
            {"y", {t, c}, true},      {"h_pre", {t, d}, true},
            {"h_post", {t, d}, true}, {"logits", {t, k - 2 * d}, true},
            {"z", {t, k}, true},      {"inv_rms", {t}, true}};
}

std::vector<OpTensor> backward_tensors(const Sizes &z) {
    const auto [t, d, c, k] = coefficient_sizes(z);
    return {{"x", {t, d, c}, false},       {"w", {k, d, c}, false},
            {"scales", {3}, false},        {"z", {t, k}, false},
            {"inv_rms", {t}, false},       {"h_pre", {t, d}, false},
            {"h_post", {t, d}, false},     {"dy", {t, c}, false},
            {"dh_post", {t, d}, false},    {"dlogits", {t, k - 2 * d}, false},
            {"dx", {t, d, c}, true, true}, {"dw", {k, d, c}, true, true},
            {"db", {k}, true, true},       {"da", {3}, true, true}};
}

std::vector<Vec> run_forward(const Sizes &z, const std::vector<Vec> &in) {
    const auto [t, d, c, k] = coefficient_sizes(z);
    CoefficientPath p = coefficient_forward(t, d, c, k, in[0], in[1], in[2], in[3]);
    Vec y = stream_read_forward(t, d, c, in[0], p.h_pre);
    return {std::move(y),        std::move(p.h_pre), std::move(p.h_post),
            std::move(p.logits), std::move(p.z),     std::move(p.inv_rms)};
}

std::vector<Vec> run_backward(const Sizes &z, const std::vector<Vec> &in) {
    const auto [t, d, c, k] = coefficient_sizes(z);
    CoefficientPath saved;
    saved.z = in[3];
    saved.inv_rms = in[4];
    saved.h_pre = in[5];
    saved.h_post = in[6];
    CoefficientGrads g =
        coefficient_backward_saved(t, d, c, k, in[0], in[1], in[2], saved, in[7], in[8], in[9]);
    return {std::move(g.dx), std::move(g.dw), std::move(g.db), std::move(g.da)};
}

// W small enough that z (a dot product of d*C unit-RMS features) stays O(1),
// where the sigmoids are not saturated.
const std::vector<InputRange> kInputRanges = {
    {"w", -0.02, 0.02}, {"bias", -0.5, 0.5}, {"scales", 0.5, 1.5}};

OpReference forward_reference() {
    OpReference r{"coefficients_forward", run_forward};
    // The layer's benchmark shape, go s = 2: K = 2d + 28.
    r.tuning = {{{4096, 4, 768, 36}}};
    r.input_ranges = kInputRanges;
    r.sizes = {"tokens", "d", "C", "K"};
    r.tensors = forward_tensors;
    return r;
}

OpReference backward_reference() {
    OpReference r{"coefficients_backward", run_backward};
    // The layer runs `narrow` below K = 12 (kromhc and go-kron s = 1 at
    // d = 4: K = 10).
    r.tuning = {{{4096, 4, 768, 36}}, {{4096, 4, 768, 10}, "narrow"}};
    r.input_ranges = kInputRanges;
    r.sizes = {"tokens", "d", "C", "K"};
    r.tensors = backward_tensors;
    r.forward_of = "coefficients_forward";
    return r;
}

const OpReference coefficients_forward_reference = forward_reference();
const OpReference coefficients_backward_reference = backward_reference();
const OpReferenceRegistration coefficients_forward_op(coefficients_forward_reference);
const OpReferenceRegistration coefficients_backward_op(coefficients_backward_reference);

}  // namespace
}  // namespace gomhc::reference
