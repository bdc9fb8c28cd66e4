// gomhc_bench's shared declarations. The benchmark is split one job per file:
//   machine.cpp         threads, aligned arrays, the memory and FMA-peak probes
//   op_model.cpp        the ops from the catalog: tensors, bytes, flops, kernel and reference calls
//   results.cpp         the measured rows, their counters and roofline fractions
//   kernel_rows.cpp     the CPU kernel and float64 reference rows
//   cuda_rows.cpp       the CUDA rows and the GPU copy roof
//   layer_rows.cpp      the mixer and whole-layer rows
//   yardstick_rows.cpp  the hand-written AVX2 yardsticks of the stream writes
//   summary.cpp         the summary table
//   main.cpp            registration and main()
#pragma once

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
#include <gomhc/ops.hpp>
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
#include "model_reference.h"
#include "op_reference.h"
#include "stream_patterns.h"

namespace gomhc_bench {

namespace ref = gomhc::reference;

using Clock = std::chrono::steady_clock;

using benchmark::Counter;

inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

int kernel_threads();

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

struct MachineModel {
    double copy_bw = 0;        // bytes/s, all threads
    double triad_bw = 0;       // bytes/s, all threads
    double fma_core = 0;       // flops/s, one thread
    double fma_all = 0;        // flops/s, all threads running at once
    double cuda_copy_bw = 0;   // bytes/s, device-to-device copy
    bool quick_triad = false;  // measured by the fallback, not the probe
    bool quick_fma = false;
};

extern MachineModel g_machine;

// With --benchmark_repetitions a probe runs several times, and on a shared
// machine a repetition can run while other guests take bandwidth or cores.
// The roof is the best the probe measured (a quick fallback measurement is
// replaced by the probe's), so a slow repetition never lowers it and the
// fractions err low, not high.
double best_probe(double previous, bool previous_was_quick, double measured);

struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
};

using FloatArray = std::unique_ptr<float[], FreeDeleter>;

FloatArray alloc_floats(size_t count);

// Uniform [-1, 1) float32 values from a splitmix64 stream: fast enough for
// hundreds of MB, and the same every run.
void fill_uniform(float *p, size_t count, uint64_t seed);

#if defined(__GNUC__) && !defined(__clang__)

#define GOMHC_BENCH_PLAIN_LOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))

#else

#define GOMHC_BENCH_PLAIN_LOOP

#endif

GOMHC_BENCH_PLAIN_LOOP void copy_range(float *__restrict a, const float *__restrict b, size_t begin,
                                       size_t end);

GOMHC_BENCH_PLAIN_LOOP void triad_range(float *__restrict a, const float *__restrict b,
                                        const float *__restrict c, float k, size_t begin,
                                        size_t end);

// 64M floats (256 MiB) per array, three arrays: 768 MiB, far beyond any cache.
constexpr size_t kProbeElements = size_t(64) << 20;

struct ProbeArrays {
    FloatArray a, b, c;
    size_t count = 0;
};

extern ProbeArrays g_probe_arrays;

// Allocated on first use, first touched by the threads that will stream them.
ProbeArrays &probe_arrays(size_t count);

void release_probe_arrays();

void run_triad(ProbeArrays &p, int threads);

void bm_copy(benchmark::State &state);

void bm_triad(benchmark::State &state);

// Triad bandwidth for the rooflines; measured quickly here if a filter left
// the probe out.
double triad_bandwidth();

// Whether the AVX2 + FMA loops (the FMA probe and the stream yardsticks) run.
bool use_avx2_fma();

// One call of the loop: its flop count, and the loop itself.
constexpr int64_t kFmaIterations = int64_t(1) << 22;

double fma_flops_per_call();

float fma_call();

// Runs the loop on `threads` threads at once; returns a value to keep.
float fma_on_threads(int threads);

void bm_fma_peak(benchmark::State &state, int threads);

// Peak flop rate of all kernel threads together, for the rooflines.
double fma_peak();

// A row's sizes, in the order its op's catalog entry names them.
using Sizes = ref::Sizes;

// One benchmarked op: a catalog op (gomhc/ops.hpp) with its float64 side
// (reference/op_reference.h), or the bench's own chain of such ops run back
// to back on shared tensors (cayley+projection_forward).
struct BenchOp {
    std::string name;                                  // of its rows
    std::vector<const gomhc::OpInfo *> steps;          // run in this order
    std::vector<const ref::OpReference *> references;  // of each step
    std::vector<Sizes> rows;

    const std::vector<const char *> &size_names() const { return steps.front()->sizes; }
    // The size called `size` ("tokens", "d", ...); throws if the op has none.
    int64_t size(const Sizes &sh, const std::string &size) const;
    int64_t tokens(const Sizes &sh) const { return size(sh, "tokens"); }
    // `sh` with its token count replaced.
    Sizes with_tokens(const Sizes &sh, int64_t tokens) const;
};

// Every benchmarked op, in registry.cmake's order: each op whose reference
// has bench sizes, and the chains after the op they are listed after.
const std::vector<BenchOp> &bench_ops();
const BenchOp &bench_op(const std::string &name);

// "T:4096/d:4/s:2": every size, the tokens as T.
std::string shape_string(const BenchOp &op, const Sizes &sh);

struct TensorSpec {
    const char *name;
    std::vector<int64_t> shape;
    bool output;
    int traffic;  // how many times its bytes cross memory per call: per token, so
                  // tensors that do not grow with the tokens (gamma, dbeta: C floats
                  // per call) count 0, and one that a chain writes and reads back 2
};

// Each tensor of the op's steps once, in their catalog order, at t tokens.
std::vector<TensorSpec> tensor_specs(const BenchOp &op, const Sizes &sh, int64_t t);

int64_t element_count(const std::vector<int64_t> &shape);

// Bytes per token moved by one call, for elements of `element_bytes` bytes.
double bytes_per_token(const BenchOp &op, const Sizes &sh, double element_bytes);

// Flops per token: the sum of its steps' (each op's count is documented
// beside its reference, reference/ops/).
double flops_per_token(const BenchOp &op, const Sizes &sh);

// One call of an op's kernels, prepared once so that timing it measures the
// kernels: each step through the catalog on its tensors, `data` in
// tensor_specs() order, all on `device`.
class KernelCall {
public:
    KernelCall(const BenchOp &op, const Sizes &sh, const std::vector<float *> &data,
               gomhc::Device device);
    void operator()() const;

private:
    Sizes sizes_;
    std::vector<std::pair<const gomhc::OpInfo *, gomhc::OpData>> steps_;
};

// The float64 reference at t tokens, inputs in tensor_specs() order.
void run_reference(const BenchOp &op, const Sizes &sh, int64_t t, const std::vector<ref::Vec> &in);

struct HostData {
    std::string key;
    std::vector<FloatArray> arrays;
};

extern HostData g_host_data;

std::vector<float *> host_tensors(const std::string &key, const std::vector<TensorSpec> &specs);

struct ReferenceData {
    std::string key;
    std::vector<ref::Vec> inputs;
};

extern ReferenceData g_reference_data;

const std::vector<ref::Vec> &reference_inputs(const std::string &key,
                                              const std::vector<TensorSpec> &specs);

struct Result {
    std::string op, backend, shape, label;
    double tokens_per_s = 0, gb_per_s = 0, gflop_per_s = 0;
    double bw_fraction = -1, roofline_fraction = -1, x_ref = -1;
    double working_set = 0;  // bytes of all tensors of one call (kernel rows)
    int64_t iterations = 0;
    bool failed = false;
    std::string error;
};

extern std::vector<std::string> g_result_order;

extern std::map<std::string, std::vector<Result>> g_results;

extern std::map<std::string, double> g_reference_rate;

Result make_result(const BenchOp &op, const char *backend, const Sizes &sh, std::string label);

// Google Benchmark calls a benchmark with growing iteration counts until one
// call lasts the minimum time; that call is the measured one, and further
// repetitions reuse its count. So the calls with the most iterations are the
// measured ones, and fewer iterations mark the calls that only sized the run.
void record(const std::string &name, Result r);

void record_failure(benchmark::State &state, const std::string &name, Result r,
                    const std::string &message);

// The roofline fractions of `r` from its achieved rates: bandwidth and peak
// in bytes/s and flop/s, peak 0 when no compute roof is known.
void set_roof_fractions(Result &r, double bandwidth, double peak);

// Runs `call` once per benchmark iteration and returns the seconds they took;
// on an exception records the failure and returns -1.
template<typename Call>
double timed_iterations(benchmark::State &state, const std::string &name, Result &r, Call call) {
    const auto t0 = Clock::now();
    for (auto _ : state) {
        try {
            call();
        } catch (const std::exception &e) {
            record_failure(state, name, r, e.what());
            return -1;
        }
    }
    return seconds_since(t0);
}

// Sets the rate counters (and, given bandwidth > 0, the roofline ones) of a
// finished benchmark that processed tokens_per_call tokens per iteration in
// `seconds` of wall time.
void set_counters(benchmark::State &state, Result &r, double tokens_per_call, double bytes_per_call,
                  double flops_per_call, double seconds, double bandwidth, double peak);

std::string rate_key(const BenchOp &op, const Sizes &sh);

// The reference is single-threaded float64 and slow: it runs on 1/8 of the
// tokens (tokens/s stays comparable, as every op is linear in T).
int64_t reference_tokens(int64_t tokens);

std::string variant_label(const BenchOp &op, const Sizes &sh);

void bm_reference(benchmark::State &state, const BenchOp *op, Sizes sh, std::string name);

void set_x_ref(benchmark::State &state, Result &r, const BenchOp &op, const Sizes &sh);

void bm_cpu(benchmark::State &state, const BenchOp *op, Sizes sh, std::string name);

struct DeviceData {
    std::string key;
    std::vector<float *> arrays;
};

extern DeviceData g_device_data;

void release_device_data();

std::vector<float *> device_tensors(const std::string &key, const std::vector<TensorSpec> &specs);

// Device-to-device copy of 2 x 1 GiB: the GPU's bandwidth roof.
void bm_cuda_copy(benchmark::State &state);

void bm_cuda(benchmark::State &state, const BenchOp *op, Sizes sh, std::string name);

std::string bench_name(const BenchOp &op, const char *backend, const Sizes &sh);

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

std::string fixed(double v, int digits);

struct LayerCase {
    gomhc::Method method;
    int d, s;
    int64_t tokens, c;
};

// The mixer does not see C; the layer does.
std::string mixer_shape(const LayerCase &lc);

std::string layer_shape(const LayerCase &lc);

// A row of the layer or mixer benchmarks, "<family>/<method>/<phase>" on the
// CPU at `shape`, which also labels it.
Result method_row(benchmark::State &state, const std::string &family, gomhc::Method method,
                  const std::string &phase, std::string shape);

void bm_layer(benchmark::State &state, LayerCase lc, bool train, std::string name);

// The residual mixer alone (gomhc::Mixer: logits [T][K] -> H_res [T][d][d] and
// back), per method, so its share of a layer row can be read off. "forward"
// reads the logits and writes H_res; "backward" reads dH_res and the saved
// logits and writes dlogits (the forward runs once, before the timing).
void bm_mixer(benchmark::State &state, LayerCase lc, bool backward, std::string name);

enum class Pattern {
    forward_stores,
    forward_nontemporal,
    backward_passes,
    backward_fused,
    backward_fused_nontemporal,
};

struct PatternInfo {
    const char *op;
    const char *backend;
    const char *label;
    bool fused;        // backward: each write in the pass that first reads its inputs
    bool nontemporal;  // stores that bypass the cache
};

PatternInfo pattern_info(Pattern p);

// Tokens [begin, end) of pattern p over the tensors of its op, in
// tensor_specs() order.
void run_pattern(Pattern p, const std::vector<float *> &v, int64_t c, size_t begin, size_t end);

// Largest difference between the pattern's outputs and the gomhc kernel's,
// relative to the largest output, after one call of each on `data`.
double pattern_mismatch(Pattern p, const Sizes &sh, const std::vector<TensorSpec> &specs,
                        const std::vector<float *> &data);

void bm_pattern(benchmark::State &state, Pattern p, Sizes sh, std::string name);

// The yardstick rows of `op` at the target shape (T = 16384, C = 256, d = 4).
void register_pattern_benchmarks(const BenchOp &op);

void register_layer_benchmarks();

void register_all();

std::string fixed(double v, int digits);

std::string si(double v);

// The largest cache of the machine, in bytes (0 if unknown).
double largest_cache();

std::string load_average();

// One row of the summary: the median call by tokens/s (the slower middle one
// for an even count), its fractions taken against the run's final roofs. The
// counters of each call used the best roof measured up to that call, so
// without this the rows of one table would be judged against different roofs.
Result summary_result(std::vector<Result> calls);

int max_repetitions();

void print_summary();

extern std::string g_cuda_status;  // "available" or the reason it is not

}  // namespace gomhc_bench
