// The AVX2 + FMA half of the FMA-peak probe (fma_peak.h).
//
// This file alone is compiled with -mavx2 -mfma (when the compiler accepts
// them, see tools/machine/CMakeLists.txt), so nothing else can pick up AVX2
// instructions by accident. fma_peak.cpp calls it only after a run-time
// cpuid check (__builtin_cpu_supports), so a binary still runs on a CPU
// without AVX2; there it falls back to the scalar loop.
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace gomhc::machine {

// Number of independent accumulators of the loop below: FMA latency (4-5
// cycles) times FMA ports (2) is at most 10 on current x86 cores, so 12
// chains keep every FMA port busy every cycle.
constexpr int kFmaChains = 12;

bool fma_avx2_compiled() {
#if defined(__AVX2__) && defined(__FMA__)
    return true;
#else
    return false;
#endif
}

// Runs `iterations` x kFmaChains x 8 fused multiply-adds on registers only
// (2 flops each) and returns a value that depends on all of them.
float fma_avx2_loop(int64_t iterations) {
#if defined(__AVX2__) && defined(__FMA__)
    // acc = acc * m + a converges to a / (1 - m) = 1: no overflow, no
    // denormals, however many iterations run.
    const __m256 m = _mm256_set1_ps(0.999999f);
    const __m256 a = _mm256_set1_ps(1e-6f);
    __m256 acc[kFmaChains];
    for (int i = 0; i < kFmaChains; ++i) {
        acc[i] = _mm256_set1_ps(0.5f + 0.01f * float(i));
    }
    for (int64_t it = 0; it < iterations; ++it) {
        // Written out so every chain stays in its own register.
        acc[0] = _mm256_fmadd_ps(acc[0], m, a);
        acc[1] = _mm256_fmadd_ps(acc[1], m, a);
        acc[2] = _mm256_fmadd_ps(acc[2], m, a);
        acc[3] = _mm256_fmadd_ps(acc[3], m, a);
        acc[4] = _mm256_fmadd_ps(acc[4], m, a);
        acc[5] = _mm256_fmadd_ps(acc[5], m, a);
        acc[6] = _mm256_fmadd_ps(acc[6], m, a);
        acc[7] = _mm256_fmadd_ps(acc[7], m, a);
        acc[8] = _mm256_fmadd_ps(acc[8], m, a);
        acc[9] = _mm256_fmadd_ps(acc[9], m, a);
        acc[10] = _mm256_fmadd_ps(acc[10], m, a);
        acc[11] = _mm256_fmadd_ps(acc[11], m, a);
    }
    __m256 sum = acc[0];
    for (int i = 1; i < kFmaChains; ++i) {
        sum = _mm256_add_ps(sum, acc[i]);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum);
    float total = 0.0f;
    for (float v : lanes) {
        total += v;
    }
    return total;
#else
    (void)iterations;
    return -1.0f;
#endif
}

}  // namespace gomhc::machine
