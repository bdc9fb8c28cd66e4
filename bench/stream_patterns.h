// Hand-written yardsticks of the stream write kernels (stream_patterns_avx2.cpp).
// Built with fma_peak_avx2.cpp and under the same flags: call them only where
// fma_avx2_compiled() and the CPU says AVX2 and FMA (use_avx2_fma()).
#pragma once

#include <cstdint>

namespace gomhc_bench {

// The probes are written for this many streams, and C a multiple of 8.
constexpr int kPatternStreams = 4;
// Tokens per call of a probe: its caller hands them out to threads in tasks
// of this size, as gomhc's default schedule does (tokens_per_task = 64).
constexpr int64_t kPatternTask = 64;

// Row-major host tensors, as the C API takes them.
struct WriteForwardPattern {
    const float *x, *h_res, *h_post, *f;
    float *x_next;
    int64_t c;
};

struct WriteBackwardPattern {
    const float *x, *h_res, *h_post, *f, *dx_next;
    float *dx, *dh_res, *dh_post, *df;
    int64_t c;
};

// Tokens [t0, t1) of X_next = H_res X + h_post f, as stream_write_forward.
void write_forward_pattern(const WriteForwardPattern &args, int64_t t0, int64_t t1,
                           bool nontemporal);

// Tokens [t0, t1) of every output of stream_write_backward: in gomhc's order
// (over the tokens, the sums, then dX and df), or `fused`, each output written
// in the pass that first reads its inputs (df with dout and f, dX[j] with X[j]).
void write_backward_pattern(const WriteBackwardPattern &args, int64_t t0, int64_t t1, bool fused,
                            bool nontemporal);

}  // namespace gomhc_bench
