// gomhc_bench: Google Benchmark suites for every gomhc kernel, with the
// machine's own limits measured in the same run so each kernel can be judged
// against a roofline.
//
// Order of the run (benchmarks run in registration order):
//   1. machine/...   memory-bandwidth probe (copy and STREAM triad over arrays
//                    far larger than any cache, on as many threads as the
//                    Halide kernels use) and a register-only FMA loop (peak
//                    flop rate, one thread and all threads).
//   2. per op: the float64 reference (gomhc_reference, one thread, fewer
//      tokens), then the float32 CPU kernels through the C++ API; for the
//      stream writes, hand-written AVX2 yardsticks at T = 16384, C = 256,
//      d = 4 (backends hw_*, see register_pattern_benchmarks).
//   3. per method: the residual mixer alone (mixer/...) and the whole layer
//      (layer/...), CPU.
//   4. the CUDA kernels, when a GPU is usable; otherwise one benchmark that
//      fails visibly with "no GPU: <reason>".
//
// Counters of a kernel row (the rates print as "tokens=24.1M/s", "GB=8.9/s"):
//   tokens             tokens processed per second (rate)
//   GB                 bytes moved per second, 1 GB = 1e9 bytes (rate). Bytes =
//                      every input read once + every output written once (the
//                      STREAM convention: write-allocate traffic is not counted,
//                      in the kernels nor in the triad it is compared with).
//   GFLOP              flops per second, counted as documented at
//                      flops_per_token() (rate)
//   bw_fraction        (bytes / measured time) / measured triad bandwidth (the
//                      best triad of the run so far, see best_probe)
//   roofline_fraction  roofline time / measured time, roofline time =
//                      max(bytes / triad bandwidth, flops / FMA peak), i.e.
//                      max(bw_fraction, flops achieved / FMA peak). For the
//                      memory-bound ops it equals bw_fraction; for the Cayley
//                      map at large n the compute roof can take over.
//   x_ref              tokens/s over the float64 reference's tokens/s
// A summary table is printed at the end (console output only;
// --benchmark_format=json gives the raw values): one row per benchmark, the
// median of its repetitions, with both fractions taken against the final
// (best) roofs of the whole run.
//
// CUDA rows use a device-to-device copy as their memory roof (no GPU flop
// peak is measured). The default minimum time per benchmark is 0.2 s, so the
// whole binary runs in under a minute on 2 cores (CPU only); pass
// --benchmark_min_time=X to change it.
//
// This file: Threads, aligned arrays, and the machine probes (memory copy and triad, FMA peak)
// that give every row its roofs.
#include "bench.h"
#include "fma_peak.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// Threads: as many as Halide's pool runs the kernels on (HL_NUM_THREADS, or
// one per online core); the probes use the same number.

int kernel_threads() { return gomhc::num_threads(); }

// ---------------------------------------------------------------------------
// What the machine can do, measured by the machine/ benchmarks (or by a quick
// fallback measurement when a filter skipped them).

MachineModel g_machine;

double best_probe(double previous, bool previous_was_quick, double measured) {
    return previous_was_quick ? measured : std::max(previous, measured);
}

// ---------------------------------------------------------------------------
// 64-byte aligned float arrays.

FloatArray alloc_floats(size_t count) {
    const size_t bytes = (std::max<size_t>(count, 1) * sizeof(float) + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, bytes);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return FloatArray(static_cast<float *>(p));
}

void fill_uniform(float *p, size_t count, uint64_t seed) {
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < count; ++i) {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        p[i] = float(double(z >> 40) * (2.0 / double(1ull << 24)) - 1.0);
    }
}

// ---------------------------------------------------------------------------
// Memory-bandwidth probe kernels. GCC would turn the copy loop into a memcpy
// call (whose non-temporal stores measure something else), so it is told not
// to.

GOMHC_BENCH_PLAIN_LOOP void copy_range(float *__restrict a, const float *__restrict b, size_t begin,
                                       size_t end) {
    for (size_t i = begin; i < end; ++i) {
        a[i] = b[i];
    }
}

GOMHC_BENCH_PLAIN_LOOP void triad_range(float *__restrict a, const float *__restrict b,
                                        const float *__restrict c, float k, size_t begin,
                                        size_t end) {
    for (size_t i = begin; i < end; ++i) {
        a[i] = b[i] + k * c[i];
    }
}

ProbeArrays g_probe_arrays;

ProbeArrays &probe_arrays(size_t count) {
    ProbeArrays &arrays = g_probe_arrays;
    if (arrays.count != count) {
        arrays = ProbeArrays{};
        arrays.a = alloc_floats(count);
        arrays.b = alloc_floats(count);
        arrays.c = alloc_floats(count);
        arrays.count = count;
        float *a = arrays.a.get(), *b = arrays.b.get(), *c = arrays.c.get();
        parallel_chunks(count, kernel_threads(), [=](size_t begin, size_t end) {
            for (size_t i = begin; i < end; ++i) {
                a[i] = 0.0f;
                b[i] = 1.0f;
                c[i] = 2.0f;
            }
        });
    }
    return arrays;
}

void release_probe_arrays() { g_probe_arrays = ProbeArrays{}; }

void run_triad(ProbeArrays &p, int threads) {
    float *a = p.a.get(), *b = p.b.get(), *c = p.c.get();
    parallel_chunks(p.count, threads,
                    [=](size_t begin, size_t end) { triad_range(a, b, c, 3.0f, begin, end); });
}

void bm_copy(benchmark::State &state) {
    ProbeArrays &p = probe_arrays(kProbeElements);
    const int threads = kernel_threads();
    float *a = p.a.get(), *b = p.b.get();
    const auto t0 = Clock::now();
    for (auto _ : state) {
        parallel_chunks(p.count, threads,
                        [=](size_t begin, size_t end) { copy_range(a, b, begin, end); });
        benchmark::ClobberMemory();
    }
    const double seconds = seconds_since(t0);
    const double bytes = 2.0 * sizeof(float) * double(p.count);
    g_machine.copy_bw = bytes * double(state.iterations()) / seconds;
    state.counters["GB"] = Counter(bytes * double(state.iterations()) * 1e-9, Counter::kIsRate);
    state.SetLabel(std::to_string(threads) + " threads, 2 x 256 MiB");
}

void bm_triad(benchmark::State &state) {
    ProbeArrays &p = probe_arrays(kProbeElements);
    const int threads = kernel_threads();
    const auto t0 = Clock::now();
    for (auto _ : state) {
        run_triad(p, threads);
        benchmark::ClobberMemory();
    }
    const double seconds = seconds_since(t0);
    const double bytes = 3.0 * sizeof(float) * double(p.count);
    g_machine.triad_bw = best_probe(g_machine.triad_bw, g_machine.quick_triad,
                                    bytes * double(state.iterations()) / seconds);
    g_machine.quick_triad = false;
    state.counters["GB"] = Counter(bytes * double(state.iterations()) * 1e-9, Counter::kIsRate);
    state.SetLabel(std::to_string(threads) + " threads, 3 x 256 MiB");
    // The probe arrays are not needed by anything after this.
    release_probe_arrays();
}

double triad_bandwidth() {
    if (g_machine.triad_bw <= 0) {
        ProbeArrays &p = probe_arrays(kProbeElements / 2);
        double best = 0;
        for (int rep = 0; rep < 4; ++rep) {
            const auto t0 = Clock::now();
            run_triad(p, kernel_threads());
            best = std::max(best, 3.0 * sizeof(float) * double(p.count) / seconds_since(t0));
        }
        release_probe_arrays();
        g_machine.triad_bw = best;
        g_machine.quick_triad = true;
    }
    return g_machine.triad_bw;
}

// ---------------------------------------------------------------------------
// FMA peak: the register-only loop of tools/machine/fma_peak.h (AVX2 + FMA
// where cpuid says the CPU has them, else a scalar loop).

bool use_avx2_fma() {
#if defined(GOMHC_BENCH_HAVE_AVX2_FMA_FILE)
    return gomhc::machine::avx2_fma_usable();
#else
    return false;
#endif
}

double fma_flops_per_call() { return gomhc::machine::fma_loop_flops(kFmaIterations); }

float fma_call() { return gomhc::machine::fma_loop(kFmaIterations); }

float fma_on_threads(int threads) {
    std::vector<float> out(size_t(threads), 0.0f);
    on_threads(threads, [&out](int i) { out[size_t(i)] = fma_call(); });
    float total = 0;
    for (float v : out) {
        total += v;
    }
    return total;
}

void bm_fma_peak(benchmark::State &state, int threads) {
    const auto t0 = Clock::now();
    for (auto _ : state) {
        benchmark::DoNotOptimize(fma_on_threads(threads));
    }
    const double seconds = seconds_since(t0);
    const double flops = fma_flops_per_call() * threads * double(state.iterations());
    if (threads == 1) {
        g_machine.fma_core = std::max(g_machine.fma_core, flops / seconds);
    }
    if (threads == kernel_threads()) {
        g_machine.fma_all = best_probe(g_machine.fma_all, g_machine.quick_fma, flops / seconds);
        g_machine.quick_fma = false;
    }
    state.counters["GFLOP"] = Counter(flops * 1e-9, Counter::kIsRate);
    state.SetLabel(std::string(use_avx2_fma() ? "avx2+fma" : "scalar (no avx2/fma)") + ", " +
                   std::to_string(threads) + " thread" + (threads > 1 ? "s" : ""));
}

double fma_peak() {
    if (g_machine.fma_all <= 0) {
        double best = 0;
        for (int rep = 0; rep < 3; ++rep) {
            const auto t0 = Clock::now();
            benchmark::DoNotOptimize(fma_on_threads(kernel_threads()));
            best = std::max(best, fma_flops_per_call() * kernel_threads() / seconds_since(t0));
        }
        g_machine.fma_all = best;
        g_machine.quick_fma = true;
    }
    return g_machine.fma_all;
}

}  // namespace gomhc_bench
