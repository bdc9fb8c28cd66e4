// The block Hadamard-square projection's float64 side (op_reference.h):
// sizes tokens, d, s; q [T][n][n] <-> h [T][d][d], n = d*s.
#include "mixer_sizes.h"

namespace gomhc::reference {
namespace {

struct ProjectionSizes {
    int64_t tokens;
    int d, s;
};
ProjectionSizes projection_sizes(const Sizes &z) {
    return {size_at(z, 0), int(size_at(z, 1)), int(size_at(z, 2))};
}

// Per token: the forward squares and adds n^2 entries (2 flops each) and
// scales d^2 sums by 1/s; the backward's dq = (2/s) q dh is 2 multiplies per
// entry of Q.
double forward_flops(const Sizes &z) {
    const auto [tokens, d, s] = projection_sizes(z);
    const double n = double(d) * s;
    return 2 * n * n + double(d) * d;
}
double backward_flops(const Sizes &z) {
    const auto [tokens, d, s] = projection_sizes(z);
    const double n = double(d) * s;
    return 2 * n * n;
}

const OpReference orthostochastic_forward_reference{
    "orthostochastic_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, s] = projection_sizes(z);
        return {orthostochastic_forward(tokens, d, s, in[0])};
    },
    forward_flops, kMixerBenchSizes, kMixerTuningSizes};
const OpReference orthostochastic_backward_reference{
    "orthostochastic_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, s] = projection_sizes(z);
        return {orthostochastic_backward(tokens, d, s, in[0], in[1])};
    },
    backward_flops, kMixerBenchSizes, kMixerTuningSizes};
const OpReferenceRegistration orthostochastic_forward_op(orthostochastic_forward_reference);
const OpReferenceRegistration orthostochastic_backward_op(orthostochastic_backward_reference);

}  // namespace
}  // namespace gomhc::reference
