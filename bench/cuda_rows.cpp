// gomhc_bench: The CUDA rows, on device memory from gomhc's helpers, and the GPU copy roof.
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// CUDA: device memory through gomhc's device-memory helpers, so the benchmark
// builds and runs without CUDA installed.

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

void bm_cuda(benchmark::State &state, const BenchOp *op, Sizes sh, std::string name) {
    const auto specs = tensor_specs(*op, sh, op->tokens(sh));
    Result r = make_result(*op, "cuda", sh, variant_label(*op, sh));
    state.SetLabel(r.label);
    std::optional<KernelCall> call;
    try {
        call.emplace(*op, sh, device_tensors("cuda/" + name, specs), gomhc::Device::cuda);
        (*call)();  // warm-up: module load, JIT
        gomhc::cuda_synchronize();
    } catch (const std::exception &e) {
        record_failure(state, name, r, e.what());
        return;
    }
    const double seconds = timed_iterations(state, name, r, [&] {
        (*call)();
        gomhc::cuda_synchronize();
    });
    if (seconds < 0) {
        return;
    }
    const double t = double(op->tokens(sh));
    // GPU roofline: bandwidth only (device copy), no GPU flop peak is measured.
    set_counters(state, r, t, t * bytes_per_token(*op, sh, sizeof(float)),
                 t * flops_per_token(*op, sh), seconds, g_machine.cuda_copy_bw, 0);
    set_x_ref(state, r, *op, sh);
    record(name, r);
}

}  // namespace gomhc_bench
