#include "fma_peak.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace gomhc::machine {

#if defined(GOMHC_HAVE_AVX2_FMA_FILE)
bool fma_avx2_compiled();
float fma_avx2_loop(int64_t iterations);
#endif

namespace {

// As many independent chains as the AVX2 loop keeps (FMA latency times
// ports), so the compiler may vectorise or pipeline them freely.
constexpr int kScalarChains = 12;
constexpr int kAvx2Lanes = 8;
constexpr int64_t kProbeIterations = int64_t(1) << 22;

float fma_scalar_loop(int64_t iterations) {
    float acc[kScalarChains];
    for (int i = 0; i < kScalarChains; ++i) {
        acc[i] = 0.5f + 0.01f * float(i);
    }
    for (int64_t it = 0; it < iterations; ++it) {
        for (int i = 0; i < kScalarChains; ++i) {
            acc[i] = acc[i] * 0.999999f + 1e-6f;
        }
    }
    float total = 0;
    for (float v : acc) {
        total += v;
    }
    return total;
}

}  // namespace

bool avx2_fma_usable() {
#if defined(GOMHC_HAVE_AVX2_FMA_FILE) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
    static const bool ok =
        fma_avx2_compiled() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok;
#else
    return false;
#endif
}

const char *fma_probe_kind() { return avx2_fma_usable() ? "avx2+fma" : "scalar"; }

float fma_loop(int64_t iterations) {
#if defined(GOMHC_HAVE_AVX2_FMA_FILE)
    if (avx2_fma_usable()) {
        return fma_avx2_loop(iterations);
    }
#endif
    return fma_scalar_loop(iterations);
}

double fma_loop_flops(int64_t iterations) {
    // 12 chains x (8 lanes) x 2 flops per round.
    return double(iterations) * kScalarChains * (avx2_fma_usable() ? kAvx2Lanes : 1) * 2;
}

double measure_fma_peak(int threads, int repeats) {
    threads = std::max(1, threads);
    double best = 0;
    std::vector<float> keep(size_t(threads), 0.0f);
    for (int rep = 0; rep < repeats; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int i = 1; i < threads; ++i) {
            pool.emplace_back([&keep, i] { keep[size_t(i)] = fma_loop(kProbeIterations); });
        }
        keep[0] = fma_loop(kProbeIterations);
        for (auto &t : pool) {
            t.join();
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, fma_loop_flops(kProbeIterations) * threads / seconds);
    }
    volatile float sink = keep[0];
    (void)sink;
    return best;
}

}  // namespace gomhc::machine
