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
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <gomhc/gomhc.hpp>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gomhc_reference.h"
#include "stream_patterns.h"

namespace gomhc_bench {
// bench/fma_peak_avx2.cpp, compiled with -mavx2 -mfma when the compiler can.
bool fma_avx2_compiled();
float fma_avx2_loop(int64_t iterations);
}  // namespace gomhc_bench

namespace {

namespace ref = gomhc::reference;
using Clock = std::chrono::steady_clock;
using benchmark::Counter;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------------------
// Threads: the Halide runtime runs HL_NUM_THREADS threads, or one per online
// core when that is unset. The probes use the same number.

int kernel_threads() {
    if (const char *env = std::getenv("HL_NUM_THREADS")) {
        const int v = std::atoi(env);
        if (v > 0) {
            return v;
        }
    }
    const unsigned hc = std::thread::hardware_concurrency();
    return hc > 0 ? int(hc) : 1;
}

// Runs f(i) for i = 0 .. threads-1, each on its own std::thread, the calling
// thread taking i = 0.
template<typename F>
void on_threads(int threads, const F &f) {
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) {
        pool.emplace_back([&f, i] { f(i); });
    }
    f(0);
    for (auto &t : pool) {
        t.join();
    }
}

// Runs f(begin, end) over [0, count) split into `threads` contiguous chunks
// (cache-line aligned), one per thread, the calling thread taking the first.
template<typename F>
void parallel_chunks(size_t count, int threads, const F &f) {
    size_t chunk = (count + size_t(threads) - 1) / size_t(threads);
    chunk = (chunk + 15) / 16 * 16;
    on_threads(threads, [&](int i) {
        const size_t begin = std::min(count, size_t(i) * chunk);
        const size_t end = std::min(count, begin + chunk);
        if (begin < end) {
            f(begin, end);
        }
    });
}

// Runs f(begin, end) over [0, count) in tasks of `task` items, handed out in
// order to `threads` threads as they come free (as Halide's thread pool runs
// a parallel loop).
template<typename F>
void parallel_tasks(size_t count, size_t task, int threads, const F &f) {
    std::atomic<size_t> next{0};
    on_threads(threads, [&](int) {
        for (size_t begin; (begin = next.fetch_add(task)) < count;) {
            f(begin, std::min(count, begin + task));
        }
    });
}

// ---------------------------------------------------------------------------
// What the machine can do, measured by the machine/ benchmarks (or by a quick
// fallback measurement when a filter skipped them).

struct MachineModel {
    double copy_bw = 0;        // bytes/s, all threads
    double triad_bw = 0;       // bytes/s, all threads
    double fma_core = 0;       // flops/s, one thread
    double fma_all = 0;        // flops/s, all threads running at once
    double cuda_copy_bw = 0;   // bytes/s, device-to-device copy
    bool quick_triad = false;  // measured by the fallback, not the probe
    bool quick_fma = false;
};
MachineModel g_machine;

// With --benchmark_repetitions a probe runs several times, and on a shared
// machine a repetition can run while other guests take bandwidth or cores.
// The roof is the best the probe measured (a quick fallback measurement is
// replaced by the probe's), so a slow repetition never lowers it and the
// fractions err low, not high.
double best_probe(double previous, bool previous_was_quick, double measured) {
    return previous_was_quick ? measured : std::max(previous, measured);
}

// ---------------------------------------------------------------------------
// 64-byte aligned float arrays.

struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
};
using FloatArray = std::unique_ptr<float[], FreeDeleter>;

FloatArray alloc_floats(size_t count) {
    const size_t bytes = (std::max<size_t>(count, 1) * sizeof(float) + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, bytes);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return FloatArray(static_cast<float *>(p));
}

// Uniform [-1, 1) float32 values from a splitmix64 stream: fast enough for
// hundreds of MB, and the same every run.
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

#if defined(__GNUC__) && !defined(__clang__)
#define GOMHC_BENCH_PLAIN_LOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define GOMHC_BENCH_PLAIN_LOOP
#endif

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

// 64M floats (256 MiB) per array, three arrays: 768 MiB, far beyond any cache.
constexpr size_t kProbeElements = size_t(64) << 20;

struct ProbeArrays {
    FloatArray a, b, c;
    size_t count = 0;
};

ProbeArrays g_probe_arrays;

// Allocated on first use, first touched by the threads that will stream them.
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

// Triad bandwidth for the rooflines; measured quickly here if a filter left
// the probe out.
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
// FMA peak: a register-only loop of independent fused multiply-adds. The AVX2
// loop lives in fma_peak_avx2.cpp (compiled with -mavx2 -mfma) and runs only
// where cpuid says the CPU has AVX2 and FMA; elsewhere a scalar loop stands in
// (then the "peak" is the scalar rate, a low bound on what vector code gets).

constexpr int kScalarChains = 12;

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

bool use_avx2_fma() {
#if defined(GOMHC_BENCH_HAVE_AVX2_FMA_FILE) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
    static const bool ok = gomhc_bench::fma_avx2_compiled() && __builtin_cpu_supports("avx2") &&
                           __builtin_cpu_supports("fma");
    return ok;
#else
    return false;
#endif
}

// One call of the loop: its flop count, and the loop itself.
constexpr int64_t kFmaIterations = int64_t(1) << 22;

double fma_flops_per_call() {
    // AVX2: 12 chains x 8 lanes x 2 flops; scalar: 12 chains x 2 flops.
    return use_avx2_fma() ? double(kFmaIterations) * 12 * 8 * 2
                          : double(kFmaIterations) * kScalarChains * 2;
}

float fma_call() {
#if defined(GOMHC_BENCH_HAVE_AVX2_FMA_FILE)
    if (use_avx2_fma()) {
        return gomhc_bench::fma_avx2_loop(kFmaIterations);
    }
#endif
    return fma_scalar_loop(kFmaIterations);
}

// Runs the loop on `threads` threads at once; returns a value to keep.
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

// Peak flop rate of all kernel threads together, for the rooflines.
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

// ---------------------------------------------------------------------------
// The ops, their tensors, their traffic and their flops.

enum class Op {
    cayley_forward,
    cayley_backward,
    orthostochastic_forward,
    orthostochastic_backward,
    stream_read_forward,
    stream_read_backward,
    stream_write_forward,
    stream_write_backward,
    mixer_forward,  // cayley_forward then orthostochastic_forward, back to back
};

const char *op_name(Op op) {
    switch (op) {
        case Op::cayley_forward:
            return "cayley_forward";
        case Op::cayley_backward:
            return "cayley_backward";
        case Op::orthostochastic_forward:
            return "orthostochastic_forward";
        case Op::orthostochastic_backward:
            return "orthostochastic_backward";
        case Op::stream_read_forward:
            return "stream_read_forward";
        case Op::stream_read_backward:
            return "stream_read_backward";
        case Op::stream_write_forward:
            return "stream_write_forward";
        case Op::stream_write_backward:
            return "stream_write_backward";
        case Op::mixer_forward:
            return "cayley+projection_forward";
    }
    return "?";
}

bool is_stream_op(Op op) {
    return op == Op::stream_read_forward || op == Op::stream_read_backward ||
           op == Op::stream_write_forward || op == Op::stream_write_backward;
}

struct Shape {
    int64_t tokens;
    int d;
    int s;      // only for the mixer ops
    int64_t c;  // only for the stream ops
};

std::string shape_string(Op op, const Shape &sh, int64_t tokens) {
    std::string out = "T:" + std::to_string(tokens) + "/d:" + std::to_string(sh.d);
    if (is_stream_op(op)) {
        out += "/C:" + std::to_string(sh.c);
    } else {
        out += "/s:" + std::to_string(sh.s);
    }
    return out;
}

struct TensorSpec {
    const char *name;
    std::vector<int64_t> shape;
    bool output;
    int traffic;  // how many times its bytes cross memory per call
};

// Inputs first, then outputs, in the order the API takes them.
std::vector<TensorSpec> tensor_specs(Op op, const Shape &sh, int64_t t) {
    const int64_t d = sh.d, n = int64_t(sh.d) * sh.s, p = n * (n - 1) / 2, c = sh.c;
    switch (op) {
        case Op::cayley_forward:
            return {{"params", {t, p}, false, 1}, {"q", {t, n, n}, true, 1}};
        case Op::cayley_backward:
            return {{"q", {t, n, n}, false, 1},
                    {"dq", {t, n, n}, false, 1},
                    {"dparams", {t, p}, true, 1}};
        case Op::orthostochastic_forward:
            return {{"q", {t, n, n}, false, 1}, {"h", {t, d, d}, true, 1}};
        case Op::orthostochastic_backward:
            return {{"q", {t, n, n}, false, 1},
                    {"dh", {t, d, d}, false, 1},
                    {"dq", {t, n, n}, true, 1}};
        case Op::stream_read_forward:
            return {
                {"x", {t, d, c}, false, 1}, {"h_pre", {t, d}, false, 1}, {"y", {t, c}, true, 1}};
        case Op::stream_read_backward:
            return {{"x", {t, d, c}, false, 1},
                    {"h_pre", {t, d}, false, 1},
                    {"dy", {t, c}, false, 1},
                    {"dx", {t, d, c}, true, 1},
                    {"dh_pre", {t, d}, true, 1}};
        case Op::stream_write_forward:
            return {{"x", {t, d, c}, false, 1},
                    {"h_res", {t, d, d}, false, 1},
                    {"h_post", {t, d}, false, 1},
                    {"f", {t, c}, false, 1},
                    {"x_next", {t, d, c}, true, 1}};
        case Op::stream_write_backward:
            return {{"x", {t, d, c}, false, 1},       {"h_res", {t, d, d}, false, 1},
                    {"h_post", {t, d}, false, 1},     {"f", {t, c}, false, 1},
                    {"dx_next", {t, d, c}, false, 1}, {"dx", {t, d, c}, true, 1},
                    {"dh_res", {t, d, d}, true, 1},   {"dh_post", {t, d}, true, 1},
                    {"df", {t, c}, true, 1}};
        case Op::mixer_forward:
            // q is written by the Cayley map and read back by the projection.
            return {
                {"params", {t, p}, false, 1}, {"q", {t, n, n}, true, 2}, {"h", {t, d, d}, true, 1}};
    }
    return {};
}

int64_t element_count(const std::vector<int64_t> &shape) {
    int64_t count = 1;
    for (int64_t e : shape) {
        count *= e;
    }
    return count;
}

// Bytes per token moved by one call, for elements of `element_bytes` bytes.
double bytes_per_token(Op op, const Shape &sh, double element_bytes) {
    double elements = 0;
    for (const TensorSpec &t : tensor_specs(op, sh, 1)) {
        elements += double(t.traffic) * double(element_count(t.shape));
    }
    return elements * element_bytes;
}

// Flops of the Cayley forward for one token, counted as the kernel computes
// it: Gauss-Jordan elimination of the n x 2n system [I + A | I - A] with no
// pivoting. Pivot k (k = 0 .. n-1) touches only the columns right of the
// pivot, 2n-1-k of them:
//   normalise pivot row k:        (2n-1-k) divisions               (1 flop each)
//   eliminate the n-1 other rows: (n-1)(2n-1-k) multiply-adds      (2 flops each)
// so per token
//   sum_k [(2n-1-k) + 2(n-1)(2n-1-k)] = (2n-1) * sum_k (2n-1-k) = (2n-1) n (3n-1) / 2,
// about 3 n^3 (n = 8: 1380, n = 32: 95760). This is the work the kernel does,
// not a minimal count (LU + two triangular solves would be ~8/3 n^3). A
// division is counted as one flop although it costs several FMA issue slots,
// so for small n, where divisions are a larger share, the compute roof is
// somewhat optimistic (the roofline fraction errs low, not high).
double cayley_forward_flops(double n) { return (2 * n - 1) * n * (3 * n - 1) / 2; }

// Cayley backward for one token: w = G + G Q^T and dA = -(w + Q^T w) / 2 are
// two n x n x n products (2 n^3 flops each) plus 2 n^2 adds for the identity
// terms; dp = -(dA[i][j] - dA[j][i]) / 2 is a subtract and a scale per pair.
double cayley_backward_flops(double n) { return 4 * n * n * n + 2 * n * n + n * (n - 1); }

// Flops per token of each op.
//   projection forward:   n^2 square-and-adds (2 flops) + d^2 scalings by 1/s
//   projection backward:  dq = (2/s) q dh: 2 multiplies per entry of Q
//   stream read forward:  y = sum_j h_pre[j] x[j]: d C multiply-adds
//   stream read backward: dx = h_pre dy (d C mults) + dh_pre = x . dy (d C mult-adds)
//   stream write forward: d^2 C multiply-adds for h_res x + d C for h_post f
//   stream write backward: dx and dh_res d^2 C multiply-adds each, dh_post and
//                         df d C each
double flops_per_token(Op op, const Shape &sh) {
    const double d = sh.d, s = sh.s, n = d * s, c = double(sh.c);
    switch (op) {
        case Op::cayley_forward:
            return cayley_forward_flops(n);
        case Op::cayley_backward:
            return cayley_backward_flops(n);
        case Op::orthostochastic_forward:
            return 2 * n * n + d * d;
        case Op::orthostochastic_backward:
            return 2 * n * n;
        case Op::stream_read_forward:
            return 2 * d * c;
        case Op::stream_read_backward:
            return 3 * d * c;
        case Op::stream_write_forward:
            return 2 * d * d * c + 2 * d * c;
        case Op::stream_write_backward:
            return 4 * d * d * c + 4 * d * c;
        case Op::mixer_forward:
            return cayley_forward_flops(n) + 2 * n * n + d * d;
    }
    return 0;
}

// The kernels through the C++ API, tensors in tensor_specs() order.
void run_kernel(Op op, const Shape &sh, const std::vector<gomhc::TensorView> &v) {
    const int d = sh.d, s = sh.s;
    switch (op) {
        case Op::cayley_forward:
            gomhc::cayley_forward(d, s, v[0], v[1]);
            break;
        case Op::cayley_backward:
            gomhc::cayley_backward(d, s, v[0], v[1], v[2]);
            break;
        case Op::orthostochastic_forward:
            gomhc::orthostochastic_forward(d, s, v[0], v[1]);
            break;
        case Op::orthostochastic_backward:
            gomhc::orthostochastic_backward(d, s, v[0], v[1], v[2]);
            break;
        case Op::stream_read_forward:
            gomhc::stream_read_forward(v[0], v[1], v[2]);
            break;
        case Op::stream_read_backward:
            gomhc::stream_read_backward(v[0], v[1], v[2], v[3], v[4]);
            break;
        case Op::stream_write_forward:
            gomhc::stream_write_forward(v[0], v[1], v[2], v[3], v[4]);
            break;
        case Op::stream_write_backward:
            gomhc::stream_write_backward(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
            break;
        case Op::mixer_forward:
            gomhc::cayley_forward(d, s, v[0], v[1]);
            gomhc::orthostochastic_forward(d, s, v[1], v[2]);
            break;
    }
}

// The float64 reference, inputs in tensor_specs() order.
void run_reference(Op op, const Shape &sh, int64_t t, const std::vector<ref::Vec> &in) {
    const int d = sh.d, s = sh.s, n = sh.d * sh.s;
    const int64_t c = sh.c;
    switch (op) {
        case Op::cayley_forward:
            benchmark::DoNotOptimize(ref::cayley_forward(t, n, in[0]).data());
            break;
        case Op::cayley_backward:
            benchmark::DoNotOptimize(ref::cayley_backward(t, n, in[0], in[1]).data());
            break;
        case Op::orthostochastic_forward:
            benchmark::DoNotOptimize(ref::orthostochastic_forward(t, d, s, in[0]).data());
            break;
        case Op::orthostochastic_backward:
            benchmark::DoNotOptimize(ref::orthostochastic_backward(t, d, s, in[0], in[1]).data());
            break;
        case Op::stream_read_forward:
            benchmark::DoNotOptimize(ref::stream_read_forward(t, d, c, in[0], in[1]).data());
            break;
        case Op::stream_read_backward: {
            auto g = ref::stream_read_backward(t, d, c, in[0], in[1], in[2]);
            benchmark::DoNotOptimize(g.dx.data());
            benchmark::DoNotOptimize(g.dh_pre.data());
            break;
        }
        case Op::stream_write_forward:
            benchmark::DoNotOptimize(
                ref::stream_write_forward(t, d, c, in[0], in[1], in[2], in[3]).data());
            break;
        case Op::stream_write_backward: {
            auto g = ref::stream_write_backward(t, d, c, in[0], in[1], in[2], in[3], in[4]);
            benchmark::DoNotOptimize(g.dx.data());
            benchmark::DoNotOptimize(g.df.data());
            break;
        }
        case Op::mixer_forward: {
            const ref::Vec q = ref::cayley_forward(t, n, in[0]);
            benchmark::DoNotOptimize(ref::orthostochastic_forward(t, d, s, q).data());
            break;
        }
    }
    benchmark::ClobberMemory();
}

// ---------------------------------------------------------------------------
// Benchmark data. The framework calls a benchmark function several times
// (while it settles on an iteration count), so each kind of data is kept in a
// one-slot cache keyed by benchmark: consecutive calls reuse it, the next
// benchmark replaces it. Inputs are random-filled once.

struct HostData {
    std::string key;
    std::vector<FloatArray> arrays;
};
HostData g_host_data;

std::vector<float *> host_tensors(const std::string &key, const std::vector<TensorSpec> &specs) {
    if (g_host_data.key != key) {
        g_host_data = HostData{};
        for (size_t i = 0; i < specs.size(); ++i) {
            const size_t count = size_t(element_count(specs[i].shape));
            FloatArray a = alloc_floats(count);
            if (specs[i].output) {
                std::memset(a.get(), 0, count * sizeof(float));  // fault the pages in
            } else {
                fill_uniform(a.get(), count, 1000 + i);
            }
            g_host_data.arrays.push_back(std::move(a));
        }
        g_host_data.key = key;
    }
    std::vector<float *> out;
    for (auto &a : g_host_data.arrays) {
        out.push_back(a.get());
    }
    return out;
}

// Views of host tensors in tensor_specs() order: outputs writable, inputs
// read-only.
std::vector<gomhc::TensorView> host_views(const std::vector<TensorSpec> &specs,
                                          const std::vector<float *> &data) {
    std::vector<gomhc::TensorView> views;
    for (size_t i = 0; i < specs.size(); ++i) {
        views.push_back(specs[i].output ? gomhc::TensorView::host(data[i], specs[i].shape)
                                        : gomhc::TensorView::host(
                                              static_cast<const float *>(data[i]), specs[i].shape));
    }
    return views;
}

struct ReferenceData {
    std::string key;
    std::vector<ref::Vec> inputs;
};
ReferenceData g_reference_data;

const std::vector<ref::Vec> &reference_inputs(const std::string &key,
                                              const std::vector<TensorSpec> &specs) {
    if (g_reference_data.key != key) {
        g_reference_data = ReferenceData{};
        for (size_t i = 0; i < specs.size(); ++i) {
            if (specs[i].output) {
                continue;
            }
            const size_t count = size_t(element_count(specs[i].shape));
            std::vector<float> f(std::max<size_t>(count, 1));
            fill_uniform(f.data(), count, 1000 + i);
            g_reference_data.inputs.emplace_back(f.begin(), f.begin() + std::ptrdiff_t(count));
        }
        g_reference_data.key = key;
    }
    return g_reference_data.inputs;
}

// ---------------------------------------------------------------------------
// Results, for x_ref and the summary table.

struct Result {
    std::string op, backend, shape, label;
    double tokens_per_s = 0, gb_per_s = 0, gflop_per_s = 0;
    double bw_fraction = -1, roofline_fraction = -1, x_ref = -1;
    double working_set = 0;  // bytes of all tensors of one call (kernel rows)
    int64_t iterations = 0;
    bool failed = false;
    std::string error;
};
std::vector<std::string> g_result_order;
// Every measured call of each benchmark: one per repetition.
std::map<std::string, std::vector<Result>> g_results;
// float64 reference tokens/s by op and shape (the shape of the kernel rows).
std::map<std::string, double> g_reference_rate;

Result make_result(Op op, const char *backend, const Shape &sh, std::string label) {
    Result r;
    r.op = op_name(op);
    r.backend = backend;
    r.shape = shape_string(op, sh, sh.tokens);
    r.label = std::move(label);
    if (std::strcmp(backend, "ref_f64") != 0) {
        for (const TensorSpec &t : tensor_specs(op, sh, sh.tokens)) {
            r.working_set += double(element_count(t.shape)) * sizeof(float);
        }
    }
    return r;
}

// Google Benchmark calls a benchmark with growing iteration counts until one
// call lasts the minimum time; that call is the measured one, and further
// repetitions reuse its count. So the calls with the most iterations are the
// measured ones, and fewer iterations mark the calls that only sized the run.
void record(const std::string &name, Result r) {
    auto found = g_results.find(name);
    if (found == g_results.end()) {
        g_result_order.push_back(name);
        g_results[name].push_back(std::move(r));
        return;
    }
    std::vector<Result> &calls = found->second;
    if (calls.front().failed) {
        return;  // a failure stays visible
    }
    if (r.failed || r.iterations > calls.front().iterations) {
        calls.clear();
    }
    if (calls.empty() || r.iterations == calls.front().iterations) {
        calls.push_back(std::move(r));
    }
}

void record_failure(benchmark::State &state, const std::string &name, Result r,
                    const std::string &message) {
    state.SkipWithError(message.c_str());
    r.failed = true;
    r.error = message;
    record(name, std::move(r));
}

// The roofline fractions of `r` from its achieved rates: bandwidth and peak
// in bytes/s and flop/s, peak 0 when no compute roof is known.
void set_roof_fractions(Result &r, double bandwidth, double peak) {
    r.bw_fraction = r.gb_per_s * 1e9 / bandwidth;
    const double flop_fraction = peak > 0 ? r.gflop_per_s * 1e9 / peak : 0.0;
    r.roofline_fraction = std::max(r.bw_fraction, flop_fraction);
}

// Sets the rate counters (and, given bandwidth > 0, the roofline ones) of a
// finished benchmark that processed tokens_per_call tokens per iteration in
// `seconds` of wall time.
void set_counters(benchmark::State &state, Result &r, double tokens_per_call, double bytes_per_call,
                  double flops_per_call, double seconds, double bandwidth, double peak) {
    const double it = double(state.iterations());
    r.iterations = state.iterations();
    state.counters["tokens"] = Counter(tokens_per_call * it, Counter::kIsRate);
    state.counters["GB"] = Counter(bytes_per_call * it * 1e-9, Counter::kIsRate);
    state.counters["GFLOP"] = Counter(flops_per_call * it * 1e-9, Counter::kIsRate);
    r.tokens_per_s = tokens_per_call * it / seconds;
    r.gb_per_s = bytes_per_call * it / seconds * 1e-9;
    r.gflop_per_s = flops_per_call * it / seconds * 1e-9;
    if (bandwidth > 0) {
        set_roof_fractions(r, bandwidth, peak);
        state.counters["bw_fraction"] = r.bw_fraction;
        state.counters["roofline_fraction"] = r.roofline_fraction;
    }
}

// ---------------------------------------------------------------------------
// CPU kernel and reference benchmarks.

std::string rate_key(Op op, const Shape &sh) {
    return std::string(op_name(op)) + "/" + shape_string(op, sh, sh.tokens);
}

// The reference is single-threaded float64 and slow: it runs on 1/8 of the
// tokens (tokens/s stays comparable, as every op is linear in T).
int64_t reference_tokens(int64_t tokens) { return std::max<int64_t>(64, tokens / 8); }

std::string variant_label(Op op, const Shape &sh) {
    if (is_stream_op(op)) {
        return "";
    }
    try {
        return gomhc::kernel_variant(sh.d, sh.s);
    } catch (const std::exception &) {
        return "";
    }
}

void bm_reference(benchmark::State &state, Op op, Shape sh, std::string name) {
    const int64_t t = reference_tokens(sh.tokens);
    const auto specs = tensor_specs(op, sh, t);
    Result r = make_result(op, "ref_f64", sh, "float64, 1 thread, T=" + std::to_string(t));
    state.SetLabel(r.label);
    const std::vector<ref::Vec> *in = nullptr;
    try {
        in = &reference_inputs("ref/" + name, specs);
    } catch (const std::exception &e) {
        record_failure(state, name, r, std::string("setup failed: ") + e.what());
        return;
    }
    const auto t0 = Clock::now();
    for (auto _ : state) {
        run_reference(op, sh, t, *in);
    }
    const double seconds = seconds_since(t0);
    set_counters(state, r, double(t), double(t) * bytes_per_token(op, sh, sizeof(double)),
                 double(t) * flops_per_token(op, sh), seconds, 0, 0);
    g_reference_rate[rate_key(op, sh)] = r.tokens_per_s;
    record(name, r);
}

void set_x_ref(benchmark::State &state, Result &r, Op op, const Shape &sh) {
    const auto it = g_reference_rate.find(rate_key(op, sh));
    if (it != g_reference_rate.end() && it->second > 0) {
        r.x_ref = r.tokens_per_s / it->second;
        state.counters["x_ref"] = r.x_ref;
    }
}

void bm_cpu(benchmark::State &state, Op op, Shape sh, std::string name) {
    const auto specs = tensor_specs(op, sh, sh.tokens);
    Result r = make_result(op, "cpu", sh, variant_label(op, sh));
    state.SetLabel(r.label);
    std::vector<gomhc::TensorView> views;
    try {
        views = host_views(specs, host_tensors("cpu/" + name, specs));
        run_kernel(op, sh, views);  // warm-up: thread pool, caches, page faults
    } catch (const std::exception &e) {
        record_failure(state, name, r, e.what());
        return;
    }
    const auto t0 = Clock::now();
    for (auto _ : state) {
        try {
            run_kernel(op, sh, views);
        } catch (const std::exception &e) {
            record_failure(state, name, r, e.what());
            return;
        }
        benchmark::ClobberMemory();
    }
    const double seconds = seconds_since(t0);
    const double t = double(sh.tokens);
    set_counters(state, r, t, t * bytes_per_token(op, sh, sizeof(float)),
                 t * flops_per_token(op, sh), seconds, triad_bandwidth(), fma_peak());
    set_x_ref(state, r, op, sh);
    record(name, r);
}

// ---------------------------------------------------------------------------
// CUDA: device memory through gomhc's device-memory helpers, so the benchmark
// builds and runs without CUDA installed.

struct DeviceData {
    std::string key;
    std::vector<float *> arrays;
};
DeviceData g_device_data;

void release_device_data() {
    for (float *p : g_device_data.arrays) {
        gomhc::cuda_free(p);
    }
    g_device_data = DeviceData{};
}

std::vector<float *> device_tensors(const std::string &key, const std::vector<TensorSpec> &specs) {
    if (g_device_data.key != key) {
        release_device_data();
        for (size_t i = 0; i < specs.size(); ++i) {
            const size_t count = size_t(element_count(specs[i].shape));
            g_device_data.arrays.push_back(gomhc::cuda_malloc(count));
            if (!specs[i].output) {
                std::vector<float> host(std::max<size_t>(count, 1));
                fill_uniform(host.data(), count, 1000 + i);
                gomhc::cuda_upload(g_device_data.arrays.back(), host.data(), count);
            }
        }
        g_device_data.key = key;
    }
    return g_device_data.arrays;
}

// Device-to-device copy of 2 x 1 GiB: the GPU's bandwidth roof.
void bm_cuda_copy(benchmark::State &state) {
    const size_t bytes = size_t(1) << 30;
    try {
        const std::vector<TensorSpec> specs = {{"a", {int64_t(bytes / 4)}, true, 1},
                                               {"b", {int64_t(bytes / 4)}, true, 1}};
        const auto p = device_tensors("cuda/probe", specs);
        gomhc::cuda_copy(p[0], p[1], bytes / sizeof(float));
        gomhc::cuda_synchronize();
        const auto t0 = Clock::now();
        for (auto _ : state) {
            gomhc::cuda_copy(p[0], p[1], bytes / sizeof(float));
            gomhc::cuda_synchronize();
        }
        const double seconds = seconds_since(t0);
        g_machine.cuda_copy_bw = 2.0 * double(bytes) * double(state.iterations()) / seconds;
        state.counters["GB"] =
            Counter(2.0 * double(bytes) * double(state.iterations()) * 1e-9, Counter::kIsRate);
    } catch (const std::exception &e) {
        state.SkipWithError(e.what());
    }
    release_device_data();
}

void bm_cuda(benchmark::State &state, Op op, Shape sh, std::string name) {
    const auto specs = tensor_specs(op, sh, sh.tokens);
    Result r = make_result(op, "cuda", sh, variant_label(op, sh));
    state.SetLabel(r.label);
    std::vector<gomhc::TensorView> views;
    try {
        const auto data = device_tensors("cuda/" + name, specs);
        for (size_t i = 0; i < specs.size(); ++i) {
            float *p = data[i];
            views.push_back(specs[i].output ? gomhc::TensorView::cuda(p, specs[i].shape)
                                            : gomhc::TensorView::cuda(static_cast<const float *>(p),
                                                                      specs[i].shape));
        }
        run_kernel(op, sh, views);  // warm-up: module load, JIT
        gomhc::cuda_synchronize();
    } catch (const std::exception &e) {
        record_failure(state, name, r, e.what());
        return;
    }
    const auto t0 = Clock::now();
    for (auto _ : state) {
        try {
            run_kernel(op, sh, views);
            gomhc::cuda_synchronize();
        } catch (const std::exception &e) {
            record_failure(state, name, r, e.what());
            return;
        }
    }
    const double seconds = seconds_since(t0);
    const double t = double(sh.tokens);
    // GPU roofline: bandwidth only (device copy), no GPU flop peak is measured.
    set_counters(state, r, t, t * bytes_per_token(op, sh, sizeof(float)),
                 t * flops_per_token(op, sh), seconds, g_machine.cuda_copy_bw, 0);
    set_x_ref(state, r, op, sh);
    record(name, r);
}

// ---------------------------------------------------------------------------
// Registration.

struct OpShapes {
    Op op;
    std::vector<Shape> shapes;
};

std::vector<OpShapes> op_table() {
    // Mixer ops: T = 4096 at the (d, s) pairs below, and T = 16384 at (4, 2).
    std::vector<Shape> mixer;
    for (auto ds : std::vector<std::pair<int, int>>{{4, 1}, {4, 2}, {4, 3}, {8, 2}, {16, 2}}) {
        mixer.push_back({4096, ds.first, ds.second, 768});
    }
    mixer.push_back({16384, 4, 2, 256});
    // Stream ops depend on d and C only: d of the pairs above at C = 768, and
    // T = 16384, C = 256 at d = 4.
    std::vector<Shape> stream = {
        {4096, 4, 1, 768}, {4096, 8, 1, 768}, {4096, 16, 1, 768}, {16384, 4, 1, 256}};
    std::vector<Shape> combined = {{4096, 4, 2, 768}, {16384, 4, 2, 256}};
    return {{Op::cayley_forward, mixer},          {Op::cayley_backward, mixer},
            {Op::orthostochastic_forward, mixer}, {Op::orthostochastic_backward, mixer},
            {Op::stream_read_forward, stream},    {Op::stream_read_backward, stream},
            {Op::stream_write_forward, stream},   {Op::stream_write_backward, stream},
            {Op::mixer_forward, combined}};
}

std::string bench_name(Op op, const char *backend, const Shape &sh) {
    return std::string(op_name(op)) + "/" + backend + "/" + shape_string(op, sh, sh.tokens);
}

std::string g_cuda_status;  // "available" or the reason it is not

// Runs `set_up` (which may throw: the row then fails with its message) and
// one warm-up `step`, then times `step` for the benchmark's iterations.
// Returns the seconds taken, or nothing if the set-up failed.
template<class SetUp, class Step>
std::optional<double> time_steps(benchmark::State &state, const std::string &name, const Result &r,
                                 SetUp &&set_up, Step &&step) {
    try {
        set_up();
        step();  // warm-up
    } catch (const std::exception &e) {
        record_failure(state, name, r, e.what());
        return std::nullopt;
    }
    const auto t0 = Clock::now();
    for (auto _ : state) {
        step();
        benchmark::ClobberMemory();
    }
    return seconds_since(t0);
}

// ---------------------------------------------------------------------------
// The hyper-connection layer, per method, with F = identity (f = y, dy = df).
// "forward" is pre + post; "train" is all four calls. The memory roof counts
// what the calls must move: forward reads X twice (pre, post) and f, writes y
// and X_next; the backward reads dX_next, X twice, f, dy and dX (pre_backward
// adds into it) and writes dX twice and df. The compute roof counts the
// coefficient GEMMs (one forward, two backward) at 2*d*C*K flops per token.

std::string fixed(double v, int digits);

struct LayerCase {
    gomhc::Method method;
    int d, s;
    int64_t tokens, c;
};

// The mixer does not see C; the layer does.
std::string mixer_shape(const LayerCase &lc) {
    return "T" + std::to_string(lc.tokens) + " d" + std::to_string(lc.d) + " s" +
           std::to_string(lc.s);
}
std::string layer_shape(const LayerCase &lc) {
    return mixer_shape(lc) + " C" + std::to_string(lc.c);
}

// A row of the layer or mixer benchmarks, "<family>/<method>/<phase>" on the
// CPU at `shape`, which also labels it.
Result method_row(benchmark::State &state, const std::string &family, gomhc::Method method,
                  const std::string &phase, std::string shape) {
    Result r;
    r.op = family + "/" + gomhc::method_name(method) + "/" + phase;
    r.backend = "cpu";
    r.shape = std::move(shape);
    state.SetLabel(r.shape);
    return r;
}

void bm_layer(benchmark::State &state, LayerCase lc, bool train, std::string name) {
    Result r = method_row(state, "layer", lc.method, train ? "train" : "forward", layer_shape(lc));
    const int64_t t = lc.tokens, dc = lc.d * lc.c;
    std::vector<float> x(size_t(t * dc)), x_next(size_t(t * dc)), y(size_t(t * lc.c));
    std::vector<float> dx_next(size_t(t * dc)), dx(size_t(t * dc)), df(size_t(t * lc.c));
    fill_uniform(x.data(), x.size(), 11);
    fill_uniform(dx_next.data(), dx_next.size(), 12);
    std::unique_ptr<gomhc::HyperConnection> layer;
    using gomhc::TensorView;
    const auto step = [&] {
        layer->pre(TensorView::host(x.data(), {t, lc.d, lc.c}),
                   TensorView::host(y.data(), {t, lc.c}));
        layer->post(TensorView::host(x.data(), {t, lc.d, lc.c}),
                    TensorView::host(y.data(), {t, lc.c}),
                    TensorView::host(x_next.data(), {t, lc.d, lc.c}));
        if (train) {
            layer->post_backward(TensorView::host(dx_next.data(), {t, lc.d, lc.c}),
                                 TensorView::host(dx.data(), {t, lc.d, lc.c}),
                                 TensorView::host(df.data(), {t, lc.c}));
            layer->pre_backward(TensorView::host(df.data(), {t, lc.c}),
                                TensorView::host(dx.data(), {t, lc.d, lc.c}));
        }
    };
    const std::optional<double> timed = time_steps(
        state, name, r,
        [&] { layer = std::make_unique<gomhc::HyperConnection>(lc.method, lc.d, lc.s, lc.c, 1); },
        step);
    if (!timed) {
        return;
    }
    const double seconds = *timed;
    const double k = double(layer->coefficient_count());
    const double floats = train ? double(9 * dc + 5 * lc.c) : double(3 * dc + 2 * lc.c);
    const double gemm_flops = 2.0 * double(dc) * k * (train ? 3.0 : 1.0);
    set_counters(state, r, double(t), double(t) * floats * sizeof(float), double(t) * gemm_flops,
                 seconds, triad_bandwidth(), fma_peak());
    state.counters["ms"] = seconds / double(state.iterations()) * 1e3;
    r.label = fixed(seconds / double(state.iterations()) * 1e3, 2) + " ms/call";
    record(name, r);
}

// The residual mixer alone (gomhc::Mixer: logits [T][K] -> H_res [T][d][d] and
// back), per method, so its share of a layer row can be read off. "forward"
// reads the logits and writes H_res; "backward" reads dH_res and the saved
// logits and writes dlogits (the forward runs once, before the timing).
void bm_mixer(benchmark::State &state, LayerCase lc, bool backward, std::string name) {
    Result r =
        method_row(state, "mixer", lc.method, backward ? "backward" : "forward", mixer_shape(lc));
    const int64_t t = lc.tokens, dd = int64_t(lc.d) * lc.d;
    std::unique_ptr<gomhc::Mixer> mixer;
    std::vector<float> logits, h_res(size_t(t * dd)), dlogits;
    std::vector<float> dh_res(size_t(t * dd));
    fill_uniform(dh_res.data(), dh_res.size(), 13);
    using gomhc::TensorView;
    int64_t k = 0;
    const auto forward = [&] {
        mixer->forward(TensorView::host(logits.data(), {t, k}),
                       TensorView::host(h_res.data(), {t, lc.d, lc.d}));
    };
    const auto step = [&] {
        if (backward) {
            mixer->backward(TensorView::host(dh_res.data(), {t, lc.d, lc.d}),
                            TensorView::host(dlogits.data(), {t, k}));
        } else {
            forward();
        }
    };
    const auto set_up = [&] {
        mixer = std::make_unique<gomhc::Mixer>(lc.method, lc.d, lc.s);
        k = mixer->logit_count();
        logits.resize(size_t(t * k));
        dlogits.resize(size_t(t * k));
        fill_uniform(logits.data(), logits.size(), 14);
        forward();
    };
    const std::optional<double> timed = time_steps(state, name, r, set_up, step);
    if (!timed) {
        return;
    }
    const double seconds = *timed;
    const double floats = backward ? double(dd + 2 * k) : double(k + dd);
    set_counters(state, r, double(t), double(t) * floats * sizeof(float), 0.0, seconds,
                 triad_bandwidth(), fma_peak());
    r.label = fixed(seconds / double(state.iterations()) * 1e3, 3) + " ms/call";
    record(name, r);
}

// ---------------------------------------------------------------------------
// Yardsticks of the stream write kernels at d = 4: the same work written by
// hand in AVX2 (bench/stream_patterns_avx2.cpp), in gomhc's loop order and in
// one Halide 14 does not express, with ordinary and with non-temporal stores
// (which Halide 14 cannot emit). Read against the kernel row of the same
// run, they show how much of its distance to the triad is the loop order's
// and how much the stores'.

enum class Pattern {
    forward_stores,
    forward_nontemporal,
    backward_passes,
    backward_fused,
    backward_fused_nontemporal,
};

struct PatternInfo {
    Op op;
    const char *backend;
    const char *label;
    bool fused;        // backward: each write in the pass that first reads its inputs
    bool nontemporal;  // stores that bypass the cache
};

PatternInfo pattern_info(Pattern p) {
    switch (p) {
        case Pattern::forward_stores:
            return {Op::stream_write_forward, "hw_st", "hand-written AVX2, ordinary stores", false,
                    false};
        case Pattern::forward_nontemporal:
            return {Op::stream_write_forward, "hw_nt", "hand-written AVX2, non-temporal stores",
                    false, true};
        case Pattern::backward_passes:
            return {Op::stream_write_backward, "hw_pass", "hand-written AVX2, gomhc's passes",
                    false, false};
        case Pattern::backward_fused:
            return {Op::stream_write_backward, "hw_fuse",
                    "hand-written AVX2, each write in the pass that reads", true, false};
        case Pattern::backward_fused_nontemporal:
            return {Op::stream_write_backward, "hw_fnt",
                    "hand-written AVX2, fused, non-temporal stores", true, true};
    }
    return {Op::stream_write_forward, "?", "", false, false};
}

// Tokens [begin, end) of pattern p over the tensors of its op, in
// tensor_specs() order.
void run_pattern(Pattern p, const std::vector<float *> &v, int64_t c, size_t begin, size_t end) {
#if defined(GOMHC_BENCH_HAVE_AVX2_FMA_FILE)
    const PatternInfo info = pattern_info(p);
    const auto t0 = int64_t(begin), t1 = int64_t(end);
    if (info.op == Op::stream_write_forward) {
        gomhc_bench::write_forward_pattern({v[0], v[1], v[2], v[3], v[4], c}, t0, t1,
                                           info.nontemporal);
    } else {
        gomhc_bench::write_backward_pattern(
            {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], c}, t0, t1, info.fused,
            info.nontemporal);
    }
#else
    (void)p, (void)v, (void)c, (void)begin, (void)end;
#endif
}

// Largest difference between the pattern's outputs and the gomhc kernel's,
// relative to the largest output, after one call of each on `data`.
double pattern_mismatch(Pattern p, const Shape &sh, const std::vector<TensorSpec> &specs,
                        const std::vector<float *> &data) {
    run_kernel(pattern_info(p).op, sh, host_views(specs, data));
    std::vector<std::vector<float>> expected;
    for (size_t i = 0; i < specs.size(); ++i) {
        if (specs[i].output) {
            expected.emplace_back(data[i], data[i] + element_count(specs[i].shape));
        }
    }
    run_pattern(p, data, sh.c, 0, size_t(sh.tokens));
    double largest = 0, worst = 0;
    size_t out = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
        if (!specs[i].output) {
            continue;
        }
        const std::vector<float> &want = expected[out++];
        for (size_t k = 0; k < want.size(); ++k) {
            largest = std::max(largest, double(std::fabs(want[k])));
            worst = std::max(worst, double(std::fabs(want[k] - data[i][k])));
        }
    }
    return largest > 0 ? worst / largest : worst;
}

void bm_pattern(benchmark::State &state, Pattern p, Shape sh, std::string name) {
    const PatternInfo info = pattern_info(p);
    const auto specs = tensor_specs(info.op, sh, sh.tokens);
    Result r = make_result(info.op, info.backend, sh, info.label);
    state.SetLabel(r.label);
    if (!use_avx2_fma()) {
        record_failure(state, name, r, "skipped: needs a CPU (and compiler) with AVX2 and FMA");
        return;
    }
    if (sh.d != gomhc_bench::kPatternStreams || sh.c % 8 != 0) {
        record_failure(state, name, r,
                       "the hand-written patterns need d = 4 and C a multiple of 8");
        return;
    }
    std::vector<float *> data;
    const std::optional<double> seconds = time_steps(
        state, name, r,
        [&] {
            data = host_tensors("pattern/" + name, specs);
            // Not bit-equal: the float32 sums run in another order than the kernel's.
            const double mismatch = pattern_mismatch(p, sh, specs, data);
            if (!(mismatch <= 1e-5)) {
                char message[128];
                std::snprintf(message, sizeof message,
                              "hand-written outputs differ from gomhc's by %.2e of the largest",
                              mismatch);
                throw std::runtime_error(message);
            }
        },
        [&] {
            parallel_tasks(
                size_t(sh.tokens), size_t(gomhc_bench::kPatternTask), kernel_threads(),
                [&](size_t begin, size_t end) { run_pattern(p, data, sh.c, begin, end); });
        });
    if (!seconds) {
        return;
    }
    const double t = double(sh.tokens);
    set_counters(state, r, t, t * bytes_per_token(info.op, sh, sizeof(float)),
                 t * flops_per_token(info.op, sh), *seconds, triad_bandwidth(), fma_peak());
    record(name, r);
}

// The yardstick rows of `op` at the target shape (T = 16384, C = 256, d = 4).
void register_pattern_benchmarks(Op op) {
    const Shape sh{16384, gomhc_bench::kPatternStreams, 1, 256};
    for (Pattern p :
         {Pattern::forward_stores, Pattern::forward_nontemporal, Pattern::backward_passes,
          Pattern::backward_fused, Pattern::backward_fused_nontemporal}) {
        if (pattern_info(p).op != op) {
            continue;
        }
        const std::string name = bench_name(op, pattern_info(p).backend, sh);
        benchmark::RegisterBenchmark(
            name.c_str(), [p, sh, name](benchmark::State &st) { bm_pattern(st, p, sh, name); })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    }
}

void register_layer_benchmarks() {
    using gomhc::Method;
    const int64_t tokens = 4096, c = 768;
    std::vector<std::pair<int, int>> shapes = {{4, 1}, {4, 2}, {4, 3}, {8, 2}};
    for (Method m : gomhc::all_methods()) {
        for (auto [d, s] : shapes) {
            if (m == Method::residual) {
                if (d != 4 || s != 1) {
                    continue;
                }
                d = 1;  // the plain residual has one stream
            }
            // Only go and go-kron depend on s: the others run once per d.
            if (m != Method::go && m != Method::go_kron && m != Method::residual && s != 2) {
                continue;
            }
            try {
                gomhc::check_method_shape(m, d, s);
            } catch (const gomhc::Error &) {
                continue;  // e.g. mhc-lite at d = 8 (8! logits) is not benchmarked
            }
            if (m == Method::mhc_lite && d > 5) {
                continue;
            }
            if (m != Method::residual) {
                for (bool backward : {false, true}) {
                    LayerCase lc{m, d, s, tokens, c};
                    const std::string name = "mixer/" + gomhc::method_name(m) +
                                             (backward ? "/backward/" : "/forward/") +
                                             mixer_shape(lc);
                    benchmark::RegisterBenchmark(name.c_str(),
                                                 [lc, backward, name](benchmark::State &st) {
                                                     bm_mixer(st, lc, backward, name);
                                                 })
                        ->UseRealTime()
                        ->Unit(benchmark::kMicrosecond);
                }
            }
            for (bool train : {false, true}) {
                LayerCase lc{m, d, s, tokens, c};
                const std::string name = "layer/" + gomhc::method_name(m) +
                                         (train ? "/train/" : "/forward/") + layer_shape(lc);
                benchmark::RegisterBenchmark(
                    name.c_str(),
                    [lc, train, name](benchmark::State &st) { bm_layer(st, lc, train, name); })
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
}

void register_all() {
    const int threads = kernel_threads();

    benchmark::RegisterBenchmark("machine/copy", bm_copy)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("machine/triad", bm_triad)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("machine/fma_peak/threads:1",
                                 [](benchmark::State &st) { bm_fma_peak(st, 1); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    if (threads > 1) {
        benchmark::RegisterBenchmark(
            ("machine/fma_peak/threads:" + std::to_string(threads)).c_str(),
            [threads](benchmark::State &st) { bm_fma_peak(st, threads); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }

    const std::vector<OpShapes> table = op_table();
    for (const OpShapes &entry : table) {
        for (const Shape &sh : entry.shapes) {
            const std::string name = bench_name(entry.op, "ref_f64", sh);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [op = entry.op, sh, name](benchmark::State &st) { bm_reference(st, op, sh, name); })
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
        for (const Shape &sh : entry.shapes) {
            const std::string name = bench_name(entry.op, "cpu", sh);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [op = entry.op, sh, name](benchmark::State &st) { bm_cpu(st, op, sh, name); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
        register_pattern_benchmarks(entry.op);
    }

    register_layer_benchmarks();

    bool cuda = false;
    try {
        cuda = gomhc::cuda_available();
        g_cuda_status = cuda ? "available" : gomhc::cuda_unavailable_reason();
    } catch (const std::exception &e) {
        g_cuda_status = e.what();
    }
    if (!cuda) {
        const std::string message = "no GPU: " + g_cuda_status;
        benchmark::RegisterBenchmark("cuda/unavailable", [message](benchmark::State &st) {
            st.SkipWithError(message.c_str());
            for (auto _ : st) {
            }
        });
        return;
    }
    benchmark::RegisterBenchmark("cuda/probe/copy_dtod", bm_cuda_copy)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    for (const OpShapes &entry : table) {
        for (const Shape &sh : entry.shapes) {
            const std::string name = bench_name(entry.op, "cuda", sh);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [op = entry.op, sh, name](benchmark::State &st) { bm_cuda(st, op, sh, name); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
    }
}

// ---------------------------------------------------------------------------
// Summary.

std::string fixed(double v, int digits) {
    if (v < 0) {
        return "-";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string si(double v) {
    char buf[64];
    if (v >= 1e9) {
        std::snprintf(buf, sizeof buf, "%.2fG", v * 1e-9);
    } else if (v >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2fM", v * 1e-6);
    } else if (v >= 1e3) {
        std::snprintf(buf, sizeof buf, "%.2fk", v * 1e-3);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f", v);
    }
    return buf;
}

// The largest cache of the machine, in bytes (0 if unknown).
double largest_cache() {
    double largest = 0;
    for (const auto &c : benchmark::CPUInfo::Get().caches) {
        largest = std::max(largest, double(c.size));
    }
    return largest;
}

std::string load_average() {
    std::FILE *f = std::fopen("/proc/loadavg", "r");
    if (f == nullptr) {
        return "unknown";
    }
    char buf[128] = {0};
    const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
    std::fclose(f);
    std::string text = ok ? std::string(buf) : std::string("unknown");
    // The first three fields: 1, 5 and 15 minute averages.
    size_t end = 0;
    for (int field = 0; field < 3 && end != std::string::npos; ++field) {
        end = text.find(' ', end + (field > 0 ? 1 : 0));
    }
    return text.substr(0, end);
}

// One row of the summary: the median call by tokens/s (the slower middle one
// for an even count), its fractions taken against the run's final roofs. The
// counters of each call used the best roof measured up to that call, so
// without this the rows of one table would be judged against different roofs.
Result summary_result(std::vector<Result> calls) {
    std::sort(calls.begin(), calls.end(),
              [](const Result &a, const Result &b) { return a.tokens_per_s < b.tokens_per_s; });
    Result r = calls[(calls.size() - 1) / 2];
    if (r.failed || r.bw_fraction < 0) {
        return r;
    }
    const bool cuda = r.backend == "cuda";
    const double bandwidth = cuda ? g_machine.cuda_copy_bw : g_machine.triad_bw;
    const double peak = cuda ? 0.0 : g_machine.fma_all;
    if (bandwidth > 0) {
        set_roof_fractions(r, bandwidth, peak);
    }
    return r;
}

int max_repetitions() {
    size_t most = 1;
    for (const auto &entry : g_results) {
        most = std::max(most, entry.second.size());
    }
    return int(most);
}

void print_summary() {
    const int repetitions = max_repetitions();
    std::printf("\n== gomhc_bench summary (%d kernel threads%s) ==\n", kernel_threads(),
                repetitions > 1 ? ", each row the median of its repetitions" : "");
    std::printf("load average now    %s   (other work on the machine skews every number)\n",
                load_average().c_str());
    if (g_machine.copy_bw > 0) {
        std::printf("copy bandwidth      %8.2f GB/s\n", g_machine.copy_bw * 1e-9);
    }
    if (g_machine.triad_bw > 0) {
        std::printf("triad bandwidth     %8.2f GB/s%s   (roofline memory roof)\n",
                    g_machine.triad_bw * 1e-9, g_machine.quick_triad ? " (quick)" : "");
    }
    if (g_machine.fma_core > 0) {
        std::printf("FMA peak, 1 thread  %8.2f GFLOP/s (%s)\n", g_machine.fma_core * 1e-9,
                    use_avx2_fma() ? "avx2+fma" : "scalar");
    }
    if (g_machine.fma_all > 0) {
        std::printf("FMA peak, %d threads %8.2f GFLOP/s%s   (roofline compute roof)\n",
                    kernel_threads(), g_machine.fma_all * 1e-9,
                    g_machine.quick_fma ? " (quick)" : "");
    }
    if (g_machine.fma_core > 0 && g_machine.fma_all > 0 && kernel_threads() > 1 &&
        g_machine.fma_all < 0.75 * kernel_threads() * g_machine.fma_core) {
        std::printf(
            "WARNING: %d threads reached only %.2fx the one-thread FMA rate: the kernel "
            "threads did not\n         get a core each (other load, or SMT siblings). "
            "Rerun on an idle machine.\n",
            kernel_threads(), g_machine.fma_all / g_machine.fma_core);
    }
    if (g_machine.cuda_copy_bw > 0) {
        std::printf("CUDA d2d copy       %8.2f GB/s   (CUDA roofline memory roof)\n",
                    g_machine.cuda_copy_bw * 1e-9);
    }
    std::printf("CUDA                %s\n\n", g_cuda_status.c_str());
    const double cache = largest_cache();
    std::printf("%-26s %-8s %-18s %10s %8s %9s %7s %9s %8s %8s  %s\n", "op", "backend", "shape",
                "tokens/s", "GB/s", "GFLOP/s", "bw_frac", "roofline", "x_ref", "ws_MB", "notes");
    std::string last_op;
    for (const std::string &name : g_result_order) {
        const Result r = summary_result(g_results[name]);
        if (!last_op.empty() && r.op != last_op) {
            std::printf("\n");
        }
        last_op = r.op;
        if (r.failed) {
            std::printf("%-26s %-8s %-18s FAILED: %s\n", r.op.c_str(), r.backend.c_str(),
                        r.shape.c_str(), r.error.c_str());
            continue;
        }
        std::string notes = r.label;
        if (r.backend == "cpu" && cache > 0 && r.working_set > 0 && r.working_set < cache) {
            notes += notes.empty() ? "in cache" : ", in cache";
        }
        std::printf("%-26s %-8s %-18s %10s %8.2f %9.2f %7s %9s %8s %8s  %s\n", r.op.c_str(),
                    r.backend.c_str(), r.shape.c_str(), si(r.tokens_per_s).c_str(), r.gb_per_s,
                    r.gflop_per_s, fixed(r.bw_fraction, 3).c_str(),
                    fixed(r.roofline_fraction, 3).c_str(), fixed(r.x_ref, 1).c_str(),
                    r.working_set > 0 ? fixed(r.working_set * 1e-6, 1).c_str() : "-",
                    notes.c_str());
    }
    std::printf(
        "\nGB/s counts every input read once and every output written once (q twice "
        "in cayley+projection);\nroofline = max(bytes/triad, flops/FMA peak) / "
        "measured time; x_ref = tokens/s over the float64 reference.\n"
        "ws_MB = bytes of all tensors of one call; \"in cache\" rows fit in the largest "
        "cache (%.0f MiB),\nso they can beat the DRAM triad roof (bw_frac > 1): their roof is "
        "compute or cache bandwidth.\n",
        cache / (1024.0 * 1024.0));
}

}  // namespace

int main(int argc, char **argv) {
    // Default minimum time 0.2 s per benchmark unless the caller sets one
    // (later flags win, so a user flag still overrides it).
    static char default_min_time[] = "--benchmark_min_time=0.2";
    std::vector<char *> args;
    args.push_back(argv[0]);
    bool has_min_time = false, console = true;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--benchmark_min_time", 20) == 0) {
            has_min_time = true;
        }
        if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0 &&
            std::strcmp(argv[i] + 19, "console") != 0) {
            console = false;
        }
    }
    if (!has_min_time) {
        args.push_back(default_min_time);
    }
    for (int i = 1; i < argc; ++i) {
        args.push_back(argv[i]);
    }
    int count = int(args.size());
    args.push_back(nullptr);
    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) {
        return 1;
    }

    // The finite-input debug scan (GOMHC_CHECK_FINITE) would add a read of
    // every input to every call: measure the kernels alone.
    gomhc::set_check_finite(false);
    register_all();
    benchmark::AddCustomContext("gomhc_threads", std::to_string(kernel_threads()));
    benchmark::AddCustomContext("fma_probe", use_avx2_fma() ? "avx2+fma" : "scalar");
    benchmark::AddCustomContext("cuda", g_cuda_status);
    benchmark::RunSpecifiedBenchmarks();
    if (console) {
        print_summary();
    }
    release_device_data();
    g_host_data = HostData{};
    benchmark::Shutdown();
    return 0;
}
