// Hand-written AVX2 versions of the stream write kernels' memory patterns,
// the yardsticks of the stream_write_* rows at d = 4: the same arithmetic
// and bytes as the gomhc kernels, in loop structures Halide 14 can and cannot
// express, with ordinary and with non-temporal stores. They are benchmark
// probes, not kernels: d = 4 and C a multiple of 8 only.
//
// Like fma_peak_avx2.cpp this file alone is compiled with -mavx2 -mfma, and
// the benchmark (yardstick_rows.cpp) calls it only after a run-time cpuid check.
#include "stream_patterns.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace gomhc_bench {

#if defined(__AVX2__) && defined(__FMA__)
namespace {

constexpr int D = kPatternStreams;
constexpr int kLanes = 8;

template<bool Nontemporal>
inline void store(float *p, __m256 v) {
    if (Nontemporal) {
        _mm256_stream_ps(p, v);
    } else {
        _mm256_store_ps(p, v);
    }
}

inline float lane_sum(__m256 v) {
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)));
}

// One pass over a token's features with its d rows of dout:
//   sums[i * stride] = sum_c dout[i][c] v[c]               (if Sums)
//   out[c]           = sum_i coef[i * stride] dout[i][c]   (if Writes)
// With v = f it gives dH_post and df (stride 1); with v = X[j], dH_res's
// column j and dX[j] (stride d).
template<bool Sums, bool Writes, bool Nontemporal>
void feature_pass(const float *dout, const float *v, const float *coef, int64_t stride, int64_t c,
                  float *out, float *sums) {
    __m256 acc[D], h[D];
    for (int i = 0; i < D; i++) {
        acc[i] = _mm256_setzero_ps();
        h[i] = _mm256_set1_ps(coef[i * stride]);
    }
    for (int64_t k = 0; k < c; k += kLanes) {
        const __m256 vv = Sums ? _mm256_load_ps(v + k) : _mm256_setzero_ps();
        __m256 o_sum = _mm256_setzero_ps();
        for (int i = 0; i < D; i++) {
            const __m256 o = _mm256_load_ps(dout + i * c + k);
            if (Sums) {
                acc[i] = _mm256_fmadd_ps(o, vv, acc[i]);
            }
            o_sum = _mm256_fmadd_ps(h[i], o, o_sum);
        }
        if (Writes) {
            store<Nontemporal>(out + k, o_sum);
        }
    }
    if (Sums) {
        for (int i = 0; i < D; i++) {
            sums[i * stride] = lane_sum(acc[i]);
        }
    }
}

// dH_post and df of token t.
template<bool Sums, bool Writes, bool Nontemporal>
void post_pass(const WriteBackwardPattern &a, int64_t t) {
    feature_pass<Sums, Writes, Nontemporal>(a.dx_next + t * D * a.c, a.f + t * a.c,
                                            a.h_post + t * D, 1, a.c, a.df + t * a.c,
                                            a.dh_post + t * D);
}

// dH_res's column j and dX[j] of token t.
template<bool Sums, bool Writes, bool Nontemporal>
void stream_pass(const WriteBackwardPattern &a, int64_t t, int j) {
    feature_pass<Sums, Writes, Nontemporal>(a.dx_next + t * D * a.c, a.x + (t * D + j) * a.c,
                                            a.h_res + t * D * D + j, D, a.c,
                                            a.dx + (t * D + j) * a.c, a.dh_res + t * D * D + j);
}

template<bool Nontemporal>
void write_forward_tokens(const WriteForwardPattern &a, int64_t t0, int64_t t1) {
    const int64_t c = a.c;
    for (int64_t t = t0; t < t1; t++) {
        const float *x = a.x + t * D * c, *f = a.f + t * c;
        float *out = a.x_next + t * D * c;
        __m256 h[D][D], p[D];
        for (int i = 0; i < D; i++) {
            p[i] = _mm256_set1_ps(a.h_post[t * D + i]);
            for (int j = 0; j < D; j++) {
                h[i][j] = _mm256_set1_ps(a.h_res[(t * D + i) * D + j]);
            }
        }
        for (int64_t k = 0; k < c; k += kLanes) {
            const __m256 fv = _mm256_load_ps(f + k);
            __m256 xv[D];
            for (int j = 0; j < D; j++) {
                xv[j] = _mm256_load_ps(x + j * c + k);
            }
            for (int i = 0; i < D; i++) {
                __m256 s = _mm256_mul_ps(p[i], fv);
                for (int j = 0; j < D; j++) {
                    s = _mm256_fmadd_ps(h[i][j], xv[j], s);
                }
                store<Nontemporal>(out + i * c + k, s);
            }
        }
    }
}

template<bool Nontemporal>
void write_backward_fused(const WriteBackwardPattern &a, int64_t t0, int64_t t1) {
    // Each output is written in the pass that first reads its inputs from
    // memory: df with dout and f, dX[j] with X[j].
    for (int64_t t = t0; t < t1; t++) {
        post_pass<true, true, Nontemporal>(a, t);
        for (int j = 0; j < D; j++) {
            stream_pass<true, true, Nontemporal>(a, t, j);
        }
    }
}

// gomhc's order: over all the tokens of the call (one task), the sums, then
// the writes.
template<bool Nontemporal>
void write_backward_passes(const WriteBackwardPattern &a, int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
        post_pass<true, false, Nontemporal>(a, t);
    }
    for (int64_t t = t0; t < t1; t++) {
        for (int j = 0; j < D; j++) {
            stream_pass<true, false, Nontemporal>(a, t, j);
        }
    }
    for (int64_t t = t0; t < t1; t++) {
        for (int j = 0; j < D; j++) {
            stream_pass<false, true, Nontemporal>(a, t, j);
        }
    }
    for (int64_t t = t0; t < t1; t++) {
        post_pass<false, true, Nontemporal>(a, t);
    }
}

template<bool Nontemporal>
void write_backward_tokens(const WriteBackwardPattern &a, int64_t t0, int64_t t1, bool fused) {
    if (fused) {
        write_backward_fused<Nontemporal>(a, t0, t1);
    } else {
        write_backward_passes<Nontemporal>(a, t0, t1);
    }
}

}  // namespace

// Non-temporal stores are weakly ordered: the fence makes them visible
// before the caller's thread joins.
void write_forward_pattern(const WriteForwardPattern &a, int64_t t0, int64_t t1, bool nontemporal) {
    if (nontemporal) {
        write_forward_tokens<true>(a, t0, t1);
        _mm_sfence();
    } else {
        write_forward_tokens<false>(a, t0, t1);
    }
}

void write_backward_pattern(const WriteBackwardPattern &a, int64_t t0, int64_t t1, bool fused,
                            bool nontemporal) {
    if (nontemporal) {
        write_backward_tokens<true>(a, t0, t1, fused);
        _mm_sfence();
    } else {
        write_backward_tokens<false>(a, t0, t1, fused);
    }
}
#else
void write_forward_pattern(const WriteForwardPattern &, int64_t, int64_t, bool) {}
void write_backward_pattern(const WriteBackwardPattern &, int64_t, int64_t, bool, bool) {}
#endif

}  // namespace gomhc_bench
