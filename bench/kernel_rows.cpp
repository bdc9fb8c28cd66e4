// gomhc_bench: The CPU kernel rows and the float64 reference rows they are compared with.
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// Benchmark data. The framework calls a benchmark function several times
// (while it settles on an iteration count), so each kind of data is kept in a
// one-slot cache keyed by benchmark: consecutive calls reuse it, the next
// benchmark replaces it. Inputs are random-filled once.

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
// CPU kernel and reference benchmarks.

std::string rate_key(const BenchOp &op, const Sizes &sh) {
    return op.name + "/" + shape_string(op, sh);
}

int64_t reference_tokens(int64_t tokens) { return std::max<int64_t>(64, tokens / 8); }

// The kernel the runtime picks for (d, s) on ops that specialise on both.
std::string variant_label(const BenchOp &op, const Sizes &sh) {
    try {
        return gomhc::kernel_variant(int(op.size(sh, "d")), int(op.size(sh, "s")));
    } catch (const std::exception &) {
        return "";  // no d and s, or no kernel for them
    }
}

void bm_reference(benchmark::State &state, const BenchOp *op, Sizes sh, std::string name) {
    const int64_t t = reference_tokens(op->tokens(sh));
    const auto specs = tensor_specs(*op, sh, t);
    Result r = make_result(*op, "ref_f64", sh, "float64, 1 thread, T=" + std::to_string(t));
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
        run_reference(*op, sh, t, *in);
    }
    const double seconds = seconds_since(t0);
    set_counters(state, r, double(t), double(t) * bytes_per_token(*op, sh, sizeof(double)),
                 double(t) * flops_per_token(*op, sh), seconds, 0, 0);
    g_reference_rate[rate_key(*op, sh)] = r.tokens_per_s;
    record(name, r);
}

void set_x_ref(benchmark::State &state, Result &r, const BenchOp &op, const Sizes &sh) {
    const auto it = g_reference_rate.find(rate_key(op, sh));
    if (it != g_reference_rate.end() && it->second > 0) {
        r.x_ref = r.tokens_per_s / it->second;
        state.counters["x_ref"] = r.x_ref;
    }
}

void bm_cpu(benchmark::State &state, const BenchOp *op, Sizes sh, std::string name) {
    const auto specs = tensor_specs(*op, sh, op->tokens(sh));
    Result r = make_result(*op, "cpu", sh, variant_label(*op, sh));
    state.SetLabel(r.label);
    std::optional<KernelCall> call;
    try {
        call.emplace(*op, sh, host_tensors("cpu/" + name, specs), gomhc::Device::host);
        (*call)();  // warm-up: thread pool, caches, page faults
    } catch (const std::exception &e) {
        record_failure(state, name, r, e.what());
        return;
    }
    const double seconds = timed_iterations(state, name, r, [&] {
        (*call)();
        benchmark::ClobberMemory();
    });
    if (seconds < 0) {
        return;
    }
    const double t = double(op->tokens(sh));
    set_counters(state, r, t, t * bytes_per_token(*op, sh, sizeof(float)),
                 t * flops_per_token(*op, sh), seconds, triad_bandwidth(), fma_peak());
    set_x_ref(state, r, *op, sh);
    record(name, r);
}

}  // namespace gomhc_bench
