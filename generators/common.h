// Building blocks shared by the gomhc generators.
//
// Layout convention: every buffer is row-major in C, so Halide's dimension 0
// is the innermost C index. A [T][n][n] tensor is a Halide buffer (col, row,
// token). Intermediates that are vectorised across tokens are stored token
// innermost instead: f(t, col, row).
#pragma once

#include "Halide.h"
#include "knob_defaults.h"  // generated from registry.cmake
#include "runtime/include/gomhc/limits.hpp"
#include "schedules/stages.h"

namespace gomhc {

using namespace Halide;

// Number of skew parameters for an n x n skew-symmetric matrix.
inline Expr pair_count(Expr n) { return n * (n - 1) / 2; }

// Row-major index of (row, col), row < col, in the strict upper triangle of an
// n x n matrix: rows 0..row-1 hold n-1, n-2, ... entries.
inline Expr first_pair_of_row(Expr row, Expr n) { return row * (2 * n - row - 1) / 2; }
inline Expr pair_index(Expr row, Expr col, Expr n) {
    return first_pair_of_row(row, n) + (col - row - 1);
}

// Inverse of pair_index: the row of pair k. The closed form comes from
// solving first_pair_of_row(row) <= k in floating point; the two selects
// correct the at most one-off error of the float sqrt, so the result is
// exact for every k < n(n-1)/2 with n <= 64.
inline Expr pair_row(Expr k, Expr n) {
    Expr b = cast<float>(2 * n - 1);
    Expr estimate = cast<int>(floor((b - sqrt(max(b * b - 8.0f * cast<float>(k), 0.0f))) * 0.5f));
    estimate = clamp(estimate, 0, n - 2);
    estimate = select(first_pair_of_row(estimate + 1, n) <= k, estimate + 1, estimate);
    estimate = select(first_pair_of_row(estimate, n) > k, estimate - 1, estimate);
    return clamp(estimate, 0, n - 2);
}
// The clamp changes nothing for valid k; it tells bounds inference the range.
inline Expr pair_col(Expr k, Expr row, Expr n) {
    return clamp(k - first_pair_of_row(row, n) + row + 1, 1, n - 1);
}

// Declares a [tokens][extent][extent] buffer of dense square matrices with a
// size known at generation time, so indexing into it uses constant strides.
template<typename Buffer>
void fix_matrices(const Buffer &b, int extent) {
    b.dim(0).set_bounds(0, extent);
    b.dim(1).set_bounds(0, extent).set_stride(extent);
    b.dim(2).set_stride(extent * extent);
}

// Declares a dense [heads][T][T] buffer of square matrices, one per
// (sequence, head), for the attention ops.
template<typename Buffer>
void declare_square_rows(Buffer &b) {
    b.dim(1).set_stride(b.dim(0).extent());
    b.dim(2).set_stride(b.dim(0).extent() * b.dim(1).extent());
    b.set_estimates(
        {{0, kEstimateContext}, {0, kEstimateContext}, {0, kEstimateSequences * kEstimateHeads}});
}

// A dimension is either fixed at generation time (value > 0) or read from a
// buffer at run time (value == 0). Fixing it lets Halide unroll loops over it.
inline Expr fixed_or(int fixed, Expr runtime_value) {
    return fixed > 0 ? Expr(fixed) : runtime_value;
}

// Base for every gomhc generator: the shared schedule knobs as
// GeneratorParams, and the choice between the CPU and the GPU schedule.
template<typename T>
class GomhcGenerator : public Generator<T> {
protected:
    GeneratorParam<int> vector_width{"vector_width", knob_defaults::cpu::vector_width};
    GeneratorParam<int> tokens_per_task{"tokens_per_task", knob_defaults::cpu::tokens_per_task};
    GeneratorParam<int> gpu_threads{"gpu_threads", knob_defaults::cuda::gpu_threads};
    GeneratorParam<int> gpu_tokens{"gpu_tokens", knob_defaults::cuda::gpu_tokens};

    ScheduleKnobs knobs() const {
        return ScheduleKnobs{vector_width, tokens_per_task, gpu_threads, gpu_tokens,
                             this->get_target().template natural_vector_size<float>()};
    }
    // Any GPU API (CUDA, OpenCL): the GPU schedules use only Halide's
    // portable GPU directives.
    bool for_gpu() const { return this->get_target().has_gpu_feature(); }
    // With auto_schedule=true an autoscheduler (Adams2019, Mullapudi2016)
    // schedules the pipeline from the shape estimates instead.
    bool hand_scheduled() const { return !this->get_auto_schedule(); }
};

}  // namespace gomhc
