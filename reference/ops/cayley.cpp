// The Cayley map's float64 side (op_reference.h): sizes tokens, d, s with
// n = d*s; params [T][n(n-1)/2] <-> q [T][n][n].
#include "mixer_sizes.h"

namespace gomhc::reference {
namespace {

int cayley_n(const Sizes &z) { return int(size_at(z, 1) * size_at(z, 2)); }

// Flops of the forward for one token, counted as the kernel
// (generators/cayley_generator.cpp) computes it, without pivoting, on the
// n x 2n system [I + A | I], each multiply-add 2 flops and each division 1:
//   forward elimination: row r subtracts r finished rows (n multiply-adds
//     each) and scales itself (n divisions): sum_r (2nr + n) = n^3
//   back substitution: row r subtracts n-1-r rows from its right half (n
//     multiply-adds each): sum_r 2n(n-1-r) = n^2 (n-1)
//   Q = 2 (I + A)^{-1} - I: n^2 + n
//   each Newton-Schulz step: the upper triangle of E = I - Q^T Q
//     (n(n+1)/2 cells, n multiply-adds each: n^2 (n+1)), Q E (n^2 cells,
//     n multiply-adds: 2 n^3), Q + (Q E)/2 (2 n^2): 3 n^3 + 3 n^2
// so with the default one step 5 n^3 + 3 n^2 + n (n = 8: 2760, n = 32:
// 166944). This is the work the kernel does, not a minimal count. A division
// is counted as one flop although it costs several FMA issue slots, so the
// compute roof is somewhat optimistic for small n (the fraction errs low).
double forward_flops(const Sizes &z) {
    constexpr double kRefinementSteps = 1;  // the generator's default
    const double n = cayley_n(z);
    const double solve = n * n * n + n * n * (n - 1) + n * n + n;
    return solve + kRefinementSteps * (3 * n * n * n + 3 * n * n);
}

// The backward for one token: w = G + G Q^T and dA = -(w + Q^T w) / 2 are
// two n x n x n products (2 n^3 flops each) plus 2 n^2 adds for the identity
// terms; dp = -(dA[i][j] - dA[j][i]) / 2 is a subtract and a scale per pair.
double backward_flops(const Sizes &z) {
    const double n = cayley_n(z);
    return 4 * n * n * n + 2 * n * n + n * (n - 1);
}

const OpReference cayley_forward_reference{
    "cayley_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        return {cayley_forward(size_at(z, 0), cayley_n(z), in[0])};
    },
    forward_flops, kMixerBenchSizes, kMixerTuningSizes};
const OpReference cayley_backward_reference{
    "cayley_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        return {cayley_backward(size_at(z, 0), cayley_n(z), in[0], in[1])};
    },
    backward_flops, kMixerBenchSizes, kMixerTuningSizes};
const OpReferenceRegistration cayley_forward_op(cayley_forward_reference);
const OpReferenceRegistration cayley_backward_op(cayley_backward_reference);

}  // namespace
}  // namespace gomhc::reference
