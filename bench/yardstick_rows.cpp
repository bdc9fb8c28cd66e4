// gomhc_bench: Hand-written AVX2 yardsticks of the stream write kernels at the target shape.
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// Yardsticks of the stream write kernels at d = 4: the same work written by
// hand in AVX2 (bench/stream_patterns_avx2.cpp), in gomhc's loop order and in
// one Halide 14 does not express, with ordinary and with non-temporal stores
// (which Halide 14 cannot emit). Read against the kernel row of the same
// run, they show how much of its distance to the triad is the loop order's
// and how much the stores'.

PatternInfo pattern_info(Pattern p) {
    switch (p) {
        case Pattern::forward_stores:
            return {"stream_write_forward", "hw_st", "hand-written AVX2, ordinary stores", false,
                    false};
        case Pattern::forward_nontemporal:
            return {"stream_write_forward", "hw_nt", "hand-written AVX2, non-temporal stores",
                    false, true};
        case Pattern::backward_passes:
            return {"stream_write_backward", "hw_pass", "hand-written AVX2, gomhc's passes", false,
                    false};
        case Pattern::backward_fused:
            return {"stream_write_backward", "hw_fuse",
                    "hand-written AVX2, each write in the pass that reads", true, false};
        case Pattern::backward_fused_nontemporal:
            return {"stream_write_backward", "hw_fnt",
                    "hand-written AVX2, fused, non-temporal stores", true, true};
    }
    return {"stream_write_forward", "?", "", false, false};
}

void run_pattern(Pattern p, const std::vector<float *> &v, int64_t c, size_t begin, size_t end) {
#if defined(GOMHC_BENCH_HAVE_AVX2_FMA_FILE)
    const PatternInfo info = pattern_info(p);
    const auto t0 = int64_t(begin), t1 = int64_t(end);
    if (std::strcmp(info.op, "stream_write_forward") == 0) {
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

double pattern_mismatch(Pattern p, const Sizes &sh, const std::vector<TensorSpec> &specs,
                        const std::vector<float *> &data) {
    const BenchOp &op = bench_op(pattern_info(p).op);
    KernelCall(op, sh, data, gomhc::Device::host)();
    std::vector<std::vector<float>> expected;
    for (size_t i = 0; i < specs.size(); ++i) {
        if (specs[i].output) {
            expected.emplace_back(data[i], data[i] + element_count(specs[i].shape));
        }
    }
    run_pattern(p, data, op.size(sh, "C"), 0, size_t(op.tokens(sh)));
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

void bm_pattern(benchmark::State &state, Pattern p, Sizes sh, std::string name) {
    const PatternInfo info = pattern_info(p);
    const BenchOp &op = bench_op(info.op);
    const int64_t tokens = op.tokens(sh), c = op.size(sh, "C");
    const auto specs = tensor_specs(op, sh, tokens);
    Result r = make_result(op, info.backend, sh, info.label);
    state.SetLabel(r.label);
    if (!use_avx2_fma()) {
        record_failure(state, name, r, "skipped: needs a CPU (and compiler) with AVX2 and FMA");
        return;
    }
    if (op.size(sh, "d") != gomhc_bench::kPatternStreams || c % 8 != 0) {
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
            parallel_tasks(size_t(tokens), size_t(gomhc_bench::kPatternTask), kernel_threads(),
                           [&](size_t begin, size_t end) { run_pattern(p, data, c, begin, end); });
        });
    if (!seconds) {
        return;
    }
    const double t = double(tokens);
    set_counters(state, r, t, t * bytes_per_token(op, sh, sizeof(float)),
                 t * flops_per_token(op, sh), *seconds, triad_bandwidth(), fma_peak());
    record(name, r);
}

void register_pattern_benchmarks(const BenchOp &op) {
    const Sizes sh{16384, gomhc_bench::kPatternStreams, 256};  // tokens, d, C
    for (Pattern p :
         {Pattern::forward_stores, Pattern::forward_nontemporal, Pattern::backward_passes,
          Pattern::backward_fused, Pattern::backward_fused_nontemporal}) {
        if (pattern_info(p).op != op.name) {
            continue;
        }
        const std::string name = bench_name(op, pattern_info(p).backend, sh);
        benchmark::RegisterBenchmark(
            name.c_str(), [p, sh, name](benchmark::State &st) { bm_pattern(st, p, sh, name); })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace gomhc_bench
