// gomhc_bench_train: one whole training step of the trainer's GPT (forward,
// backward, gradient norm, AdamW) per residual method at the small and
// medium presets, with the FMA peak measured in the same binary.
//
// Counters: tokens (tokens per second, rate), ms (per step), MFU (model flops
// per second over the FMA peak, flops as trainer::flops_per_token counts
// them), x_residual (this step's time over the residual step's at the same
// preset, measured earlier in the same run). blas_threads:0 rows run the
// products as the trainer does (OpenBLAS on one thread, sliced over gomhc's
// pool); blas_threads:N rows give OpenBLAS its own pool of N threads beside
// gomhc's, the measurement behind that choice. Then the trainer's own ops one
// by one beside their float64 references (trainer_op_rows.cpp).
#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "fma_peak.h"
#include "gpt.h"
#include "matmul.h"
#include "presets.h"
#include "trainer_op_rows.h"
#include "training.h"

namespace {

using gomhc::Method;
using gomhc::TensorView;
using gomhc::trainer::Gpt;
using gomhc::trainer::GptConfig;

struct MethodCase {
    Method method;
    int d, s;
};

int threads() { return std::max(1, int(std::thread::hardware_concurrency())); }

double peak() {
    static const double p = gomhc::machine::measure_fma_peak(threads(), 5);
    return p;
}

std::map<std::string, double> &residual_seconds() {
    static std::map<std::string, double> m;
    return m;
}

// One step of the trainer's preset `preset_name` (its model and batch).
void bm_train_step(benchmark::State &state, const std::string &preset_name, MethodCase mc,
                   int blas_threads) {
    const gomhc::trainer::TrainSettings preset = gomhc::trainer::preset(preset_name);
    GptConfig c = preset.model;
    c.method = mc.method;
    c.d = mc.d;
    c.s = mc.s;
    gomhc::set_num_threads(threads());
    gomhc::trainer::set_blas_threads(blas_threads);
    Gpt gpt(c, preset.batch);
    const int64_t n = gpt.num_params(), tokens = preset.batch * c.context;
    gomhc::Adamw opt(n, gpt.decayed_ranges());
    std::mt19937_64 rng(1);
    std::vector<int32_t> ids(size_t(tokens + 1));
    for (auto &id : ids) {
        id = int32_t(rng() % 256);
    }
    float norm_sq = 0;
    gomhc::AdamwSettings settings;
    settings.weight_decay = 0.1f;
    settings.max_norm = 1.0f;
    const auto step = [&] {
        gpt.zero_grads();
        benchmark::DoNotOptimize(gpt.forward(ids.data(), ids.data() + 1, preset.batch, c.context));
        gpt.backward(1.0f);
        gomhc::squared_norm(gpt.grads_view(), TensorView::host(&norm_sq, {1}));
        opt.step(gpt.params_view(), gpt.grads_view(), TensorView::host(&norm_sq, {1}), settings);
    };
    step();  // warm-up: first-call allocations, caches
    double seconds = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        step();
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double per_step = seconds / double(state.iterations());
    const double flops = gomhc::trainer::flops_per_token(c, n, c.context) * double(tokens);
    state.counters["tokens"] = benchmark::Counter(double(tokens) * double(state.iterations()),
                                                  benchmark::Counter::kIsRate);
    state.counters["ms"] = per_step * 1e3;
    state.counters["MFU"] = flops / per_step / peak();
    const std::string key = preset_name + "/" + std::to_string(blas_threads);
    if (mc.method == Method::residual) {
        residual_seconds()[key] = per_step;
    }
    if (residual_seconds().count(key)) {
        state.counters["x_residual"] = per_step / residual_seconds()[key];
    }
    state.SetLabel(std::to_string(n) + " parameters, " + std::to_string(tokens) +
                   " tokens/step, peak " + std::to_string(int(peak() * 1e-9)) + " GFLOP/s (" +
                   gomhc::machine::fma_probe_kind() + ")");
}

void register_all() {
    const std::vector<MethodCase> methods = {
        {Method::residual, 1, 1}, {Method::hc, 4, 1}, {Method::mhc, 4, 1}, {Method::mhc_lite, 4, 1},
        {Method::kromhc, 4, 1},   {Method::go, 4, 1}, {Method::go, 4, 2},  {Method::go_kron, 4, 2}};
    for (const std::string p : {"small", "medium"}) {
        // 0: the products on gomhc's pool (the trainer's way); threads():
        // OpenBLAS's own pool beside it, for residual and go s = 2.
        for (int b : {0, threads()}) {
            for (const MethodCase &m : methods) {
                if (b != 0 &&
                    !(m.method == Method::residual || (m.method == Method::go && m.s == 2))) {
                    continue;
                }
                const std::string name = "train_step/" + p + "/" + gomhc::method_name(m.method) +
                                         "/d" + std::to_string(m.d) + "s" + std::to_string(m.s) +
                                         "/blas_threads:" + std::to_string(b);
                benchmark::RegisterBenchmark(name.c_str(), bm_train_step, p, m, b)
                    ->Unit(benchmark::kMillisecond)
                    ->UseRealTime()
                    ->MinTime(p == "medium" ? 4.0 : 2.0);
            }
        }
    }
}

}  // namespace

int main(int argc, char **argv) {
    register_all();
    gomhc_bench_train::register_trainer_op_rows();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::AddCustomContext("fma_peak_gflops", std::to_string(peak() * 1e-9));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
