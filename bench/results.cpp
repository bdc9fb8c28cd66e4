// gomhc_bench: The measured rows: one Result per call, their counters and roofline fractions.
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// Results, for x_ref and the summary table.

std::vector<std::string> g_result_order;

// Every measured call of each benchmark: one per repetition.
std::map<std::string, std::vector<Result>> g_results;

// float64 reference tokens/s by op and shape (the shape of the kernel rows).
std::map<std::string, double> g_reference_rate;

Result make_result(const BenchOp &op, const char *backend, const Sizes &sh, std::string label) {
    Result r;
    r.op = op.name;
    r.backend = backend;
    r.shape = shape_string(op, sh);
    r.label = std::move(label);
    if (std::strcmp(backend, "ref_f64") != 0) {
        for (const TensorSpec &t : tensor_specs(op, sh, op.tokens(sh))) {
            r.working_set += double(element_count(t.shape)) * sizeof(float);
        }
    }
    return r;
}

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

void set_roof_fractions(Result &r, double bandwidth, double peak) {
    r.bw_fraction = r.gb_per_s * 1e9 / bandwidth;
    const double flop_fraction = peak > 0 ? r.gflop_per_s * 1e9 / peak : 0.0;
    r.roofline_fraction = std::max(r.bw_fraction, flop_fraction);
}

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

}  // namespace gomhc_bench
