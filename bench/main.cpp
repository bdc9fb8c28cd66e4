// gomhc_bench: Registration of every row, and main().
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// Registration.

std::string bench_name(const BenchOp &op, const char *backend, const Sizes &sh) {
    return op.name + "/" + backend + "/" + shape_string(op, sh);
}

std::string g_cuda_status;  // "available" or the reason it is not

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

    for (const BenchOp &op : bench_ops()) {
        for (const Sizes &sh : op.rows) {
            const std::string name = bench_name(op, "ref_f64", sh);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [op = &op, sh, name](benchmark::State &st) { bm_reference(st, op, sh, name); })
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
        for (const Sizes &sh : op.rows) {
            const std::string name = bench_name(op, "cpu", sh);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [op = &op, sh, name](benchmark::State &st) { bm_cpu(st, op, sh, name); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
        register_pattern_benchmarks(op);
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
    for (const BenchOp &op : bench_ops()) {
        for (const Sizes &sh : op.rows) {
            const std::string name = bench_name(op, "cuda", sh);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [op = &op, sh, name](benchmark::State &st) { bm_cuda(st, op, sh, name); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
    }
}

}  // namespace gomhc_bench

using namespace gomhc_bench;

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
