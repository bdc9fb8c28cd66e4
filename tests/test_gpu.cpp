// The GPU kernels (CUDA and OpenCL, the same GPU schedules) on device
// memory against the float64 reference and the host kernels: the same checks
// as the host suites, on a smaller set of shapes, for every GPU API this
// machine can use. PoCL runs the OpenCL kernels on the CPU, so CI runs them
// all. Without any usable GPU API the suite prints "SKIP gpu: <reasons>" and
// exits 77, which CTest reports as skipped; with GOMHC_REQUIRE_OPENCL=1 (set
// where PoCL is installed) a missing OpenCL device fails instead.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <tuple>

#include "gomhc.h"
#include "kernel_checks.h"
#include "opencl_required.h"

using namespace gomhc_test;
using gomhc::Device;

namespace {

// Device buffers through gomhc's own device memory (the library's one
// device layer); freed when the backend dies. Each tensor lies `offset`
// floats into its buffer, between guard entries that no kernel may touch:
// offset 0, one the device's base alignment admits (OpenCL: a sub-buffer)
// and one it does not (OpenCL: a staged copy).
class DeviceBackend : public Backend {
public:
    explicit DeviceBackend(Device device, int64_t offset = 0) : device_(device), offset_(offset) {}
    gomhc::TensorView input(const Vec &values, Shape shape) override {
        REQUIRE(int64_t(values.size()) == element_count(shape));
        return place(ref::to_float(values), std::move(shape));
    }
    gomhc::TensorView output(Shape shape) override {
        const std::vector<float> nan(size_t(element_count(shape)),
                                     std::numeric_limits<float>::quiet_NaN());
        return place(nan, std::move(shape));
    }
    Vec download(const gomhc::TensorView &view) override {
        CHECK(view.device() == device_);
        std::vector<float> host(size_t(view.size()));
        gomhc::download(view, host.data());
        check_guards();
        return ref::to_double(host);
    }
    gomhc::TokenView tokens(const std::vector<int32_t> &ids, Shape shape) override {
        REQUIRE(int64_t(ids.size()) == element_count(shape));
        gomhc::DeviceMemory &m = allocate(ids.size());
        m.upload_ids(ids.data(), ids.size(), size_t(offset_));
        return m.ids(std::move(shape), offset_);
    }
    std::string name() const override { return gomhc::device_name(device_); }
    Device device() const override { return device_; }

private:
    static constexpr float kGuard = -12345.0f;
    static constexpr int64_t kTail = 5;  // guard entries after each tensor

    gomhc::TensorView place(const std::vector<float> &values, Shape shape) {
        gomhc::DeviceMemory &m = allocate(values.size());
        m.upload(values.data(), values.size(), size_t(offset_));
        return m.view(std::move(shape), offset_);
    }
    // A buffer of guards with room for `count` entries at offset_.
    gomhc::DeviceMemory &allocate(size_t count) {
        memory_.emplace_back(device_, size_t(offset_) + count + size_t(kTail));
        counts_.push_back(count);
        const std::vector<float> guards(memory_.back().size(), kGuard);
        memory_.back().upload(guards.data(), guards.size());
        return memory_.back();
    }
    // Every buffer's entries outside its tensor still hold the guard.
    void check_guards() {
        for (size_t i = 0; i < memory_.size(); i++) {
            std::vector<float> all(memory_[i].size());
            memory_[i].download(all.data(), all.size());
            for (size_t k = 0; k < all.size(); k++) {
                if (k >= size_t(offset_) && k < size_t(offset_) + counts_[i]) {
                    continue;
                }
                INFO("buffer " << i << " entry " << k << " outside the tensor at offset "
                               << offset_);
                CHECK(all[k] == kGuard);
            }
        }
    }
    Device device_;
    int64_t offset_;
    std::deque<gomhc::DeviceMemory> memory_;
    std::vector<size_t> counts_;
};

std::string unavailable(Device device) {
    return device == Device::cuda ? gomhc::cuda_unavailable_reason()
                                  : gomhc::opencl_unavailable_reason();
}

bool available(Device device) {
    return device == Device::cuda ? gomhc::cuda_available() : gomhc::opencl_available();
}

// The GPU APIs whose checks run here; the others say once why not.
const std::vector<Device> &gpus() {
    static const std::vector<Device> usable = [] {
        std::vector<Device> out;
        for (Device device : {Device::cuda, Device::opencl}) {
            if (available(device)) {
                out.push_back(device);
                if (device == Device::opencl) {
                    std::printf("gpu: OpenCL on %s\n", gomhc::opencl_device().c_str());
                }
            } else {
                std::printf("SKIP %s: %s\n", gomhc::device_name(device),
                            unavailable(device).c_str());
            }
        }
        std::fflush(stdout);
        return out;
    }();
    gomhc::set_cuda_context(nullptr, nullptr);  // the device-0 primary context
    return usable;
}

// A view of memory the C API handed out on `device`.
gomhc::TensorView view_of(Device device, const float *data, int64_t count) {
    switch (device) {
        case Device::cuda:
            return gomhc::TensorView::cuda(data, {count});
        case Device::opencl:
            return gomhc::TensorView::opencl(const_cast<float *>(data), {count});
        case Device::host:
            break;
    }
    return gomhc::TensorView::host(data, {count});
}

const DS kGpuShapes[] = {{2, 1}, {4, 2}, {8, 4}, {16, 2}, {3, 3}, {5, 2}, {7, 9}, {32, 2}};

}  // namespace

TEST_CASE("gpu: availability is reported consistently") {
    for (Device device : {Device::cuda, Device::opencl}) {
        INFO(gomhc::device_name(device));
        CHECK(available(device) == unavailable(device).empty());
    }
    gpus();
}

TEST_CASE("gpu: views report their device") {
    float dummy[4] = {};
    const auto v = gomhc::TensorView::cuda(dummy, {2, 2});
    CHECK(v.device() == Device::cuda);
    CHECK(v.size() == 4);
    const auto o = gomhc::TensorView::opencl(dummy, {2, 2}, 3);
    CHECK(o.device() == Device::opencl);
    CHECK(o.offset() == 3);
    CHECK(gomhc::TensorView::host(dummy, {4}).device() == Device::host);
    CHECK_THROWS_AS(gomhc::TensorView::opencl(dummy, {2}, -1), gomhc::InvalidArgument);
}

TEST_CASE("gpu: mixing host and device views throws gomhc::Error naming both") {
    // Checked before any memory is touched, so a fake device pointer is fine.
    float host_q[4] = {}, fake_device[4] = {};
    const float params[1] = {0.5f};
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_forward(2, 1, gomhc::TensorView::host(params, {1, 1}),
                                  gomhc::TensorView::cuda(fake_device, {1, 2, 2}));
        },
        {"'q'", "CUDA"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_forward(2, 1, gomhc::TensorView::opencl(fake_device, {1, 1}),
                                  gomhc::TensorView::host(host_q, {1, 2, 2}));
        },
        {"'q'", "host"}));
    CHECK_THROWS_AS(gomhc::cayley_forward(2, 1, gomhc::TensorView::cuda(params, {1, 1}),
                                          gomhc::TensorView::opencl(host_q, {1, 2, 2})),
                    gomhc::Error);
}

TEST_CASE("gpu: device views without that device throw gomhc::Error saying why") {
    float fake[4] = {};
    if (!gomhc::cuda_available()) {
        CHECK(throws_error_naming(
            [&] {
                gomhc::cayley_forward(2, 1, gomhc::TensorView::cuda(fake, {1, 1}),
                                      gomhc::TensorView::cuda(fake, {1, 2, 2}));
            },
            {"CUDA"}));
    }
    if (!gomhc::opencl_available()) {
        CHECK(throws_error_naming(
            [&] {
                gomhc::cayley_forward(2, 1, gomhc::TensorView::opencl(fake, {1, 1}),
                                      gomhc::TensorView::opencl(fake, {1, 2, 2}));
            },
            {"OpenCL"}));
    }
}

TEST_CASE("gpu: worked example d=2, s=1") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        DeviceBackend b(device);
        const Vec q = run_kernel(b, "cayley_forward", {1, 2, 1}, {Vec{double(1.0f / 3.0f)}})[0];
        CHECK(ref::max_abs_error(q, Vec{0.8, -0.6, 0.6, 0.8}) <= 1e-6);
        const Vec h = run_kernel(b, "orthostochastic_forward", {1, 2, 1}, {q})[0];
        CHECK(ref::max_abs_error(h, Vec{0.64, 0.36, 0.36, 0.64}) <= 1e-6);
    }
}

TEST_CASE("gpu: cayley forward vs reference and properties across sigma") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        uint64_t seed = 5000;
        for (DS ds : kGpuShapes) {
            for (int64_t tokens : {1, 17, 1000}) {
                DeviceBackend b(device);
                check_cayley_forward(b, tokens, ds.d, ds.s, 1.0, seed++);
            }
            for (double sigma : {0.01, 10.0, 100.0}) {
                DeviceBackend b(device);
                check_cayley_forward(b, 33, ds.d, ds.s, sigma, seed++);
            }
        }
    }
}

TEST_CASE("gpu: cayley backward vs reference and finite differences") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        uint64_t seed = 5100;
        for (DS ds : kGpuShapes) {
            for (int64_t tokens : {1, 17, 1000}) {
                DeviceBackend b(device);
                check_cayley_backward_vs_reference(b, tokens, ds.d, ds.s, 1.0, seed++);
            }
        }
        for (DS ds : {DS{4, 2}, DS{3, 3}, DS{2, 1}}) {
            DeviceBackend b(device);
            check_cayley_backward_vs_fd(b, 2, ds.d, ds.s, 1.0, seed++);
        }
    }
}

TEST_CASE("gpu: orthostochastic forward, properties and backward") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        uint64_t seed = 5200;
        for (DS ds : kGpuShapes) {
            for (int64_t tokens : {1, 17, 1000}) {
                DeviceBackend b(device);
                check_orthostochastic_forward(b, tokens, ds.d, ds.s, seed++);
                check_orthostochastic_backward(b, tokens, ds.d, ds.s, seed++);
            }
            for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
                DeviceBackend b(device);
                check_orthostochastic_properties(b, 33, ds.d, ds.s, sigma, seed++);
            }
        }
    }
}

TEST_CASE("gpu: stream mixing vs reference and finite differences") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        uint64_t seed = 5300;
        const std::tuple<int64_t, int, int64_t> cases[] = {
            {1, 1, 1}, {3, 4, 17}, {17, 3, 129}, {1000, 4, 1000}, {1000, 1, 1}, {17, 16, 64}};
        for (auto [tokens, d, c] : cases) {
            DeviceBackend b(device);
            check_stream_read(b, tokens, d, c, seed++, false);
            check_stream_sum(b, tokens, d, c, seed++);
            check_stream_write(b, tokens, d, c, seed++, false);
        }
        DeviceBackend b(device);
        check_stream_read(b, 2, 3, 5, seed++, true);
        check_stream_write(b, 2, 3, 5, seed++, true);
    }
}

// The layer and the mixers on device memory against the same calls on the
// host: same seed, same inputs; every output and gradient must agree.
TEST_CASE("gpu: HyperConnection (and so each Mixer) matches the host for every method") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        using gomhc::Method;
        const std::tuple<Method, int, int> cases[] = {
            {Method::residual, 1, 1}, {Method::hc, 4, 1},     {Method::mhc, 4, 1},
            {Method::mhc_lite, 3, 1}, {Method::kromhc, 4, 1}, {Method::go, 4, 2},
            {Method::go, 3, 1},       {Method::go_kron, 4, 2}};
        const int64_t c = 20;
        uint64_t seed = 5400;
        for (auto [method, d, s] : cases) {
            CAPTURE(gomhc::method_name(method));
            // One layer per backend, called at an odd token count and then at
            // two counts in turn (its workspaces grow once, then are reused).
            gomhc::HyperConnection layers[2] = {gomhc::HyperConnection(method, d, s, c, 7),
                                                gomhc::HyperConnection(method, d, s, c, 7, device)};
            for (int64_t tokens : {int64_t(37), int64_t(5), int64_t(37)}) {
                CAPTURE(tokens);
                ref::Rng rng(seed++);
                const Vec x = normal_f32(rng, tokens * d * c, 1.0);
                const Vec f = normal_f32(rng, tokens * c, 1.0);
                const Vec g = normal_f32(rng, tokens * d * c, 1.0);
                const Vec gy = normal_f32(rng, tokens * c, 1.0);
                HostBackend hb;
                DeviceBackend db(device);
                Vec results[2][4];  // per backend: x_next, dx, df, grads
                Backend *backends[2] = {&hb, &db};
                for (int which = 0; which < 2; which++) {
                    Backend &b = *backends[which];
                    gomhc::HyperConnection &layer = layers[which];
                    const auto vx = b.input(x, {tokens, d, c}), vf = b.input(f, {tokens, c});
                    const auto vg = b.input(g, {tokens, d, c}), vgy = b.input(gy, {tokens, c});
                    const auto y = b.output({tokens, c}), x_next = b.output({tokens, d, c});
                    const auto dx = b.output({tokens, d, c}), df = b.output({tokens, c});
                    layer.pre(vx, y);
                    layer.post(vx, vf, x_next);
                    layer.post_backward(vg, dx, df);
                    layer.pre_backward(vgy, dx);
                    results[which][0] = b.download(x_next);
                    results[which][1] = b.download(dx);
                    results[which][2] = b.download(df);
                    if (layer.num_params() > 0) {
                        results[which][3] = b.download(layer.grads_view());
                    }
                }
                for (int k = 0; k < 4; k++) {
                    CAPTURE(k);
                    CHECK(ref::max_abs_error(results[1][k], results[0][k]) <=
                          1e-4 * std::max(1.0, ref::max_abs(results[0][k])));
                }
            }
        }
    }
}

// Random inputs for one call of a catalog op: N(0, 3^2) floats (wide enough
// to reach GELU's and the softmax's tails), token ids below their bound.
std::vector<Vec> random_inputs(const std::vector<gomhc::OpTensor> &tensors, uint64_t seed) {
    ref::Rng rng(seed);
    std::vector<Vec> inputs;
    for (const gomhc::OpTensor &t : tensors) {
        if (t.output) {
            continue;
        }
        int64_t count = 1;
        for (int64_t extent : t.shape) {
            count *= extent;
        }
        if (t.ids_below > 0) {
            const std::vector<int32_t> ids = random_token_ids(rng, count, t.ids_below);
            inputs.emplace_back(ids.begin(), ids.end());
        } else {
            inputs.push_back(normal_f32(rng, count, 3.0));
        }
    }
    return inputs;
}

// Every op of the catalog, at each of its example sizes (the last of them
// wide enough to fill the GPU kernels' blocks): the device kernel against
// the host kernel on the same inputs, output by output.
// Each tensor at offset 0, at 32 floats (128 bytes: OpenCL's base alignment
// on PoCL and most GPUs) and at 37 floats (aligned for no device).
TEST_CASE("gpu: every catalog op matches the host kernels at its examples") {
    for (Device device : gpus()) {
        for (const int64_t offset : {0, 32, 37}) {
            INFO(gomhc::device_name(device) << ", tensors at offset " << offset);
            uint64_t seed = 5600;
            for (const gomhc::OpInfo *op : gomhc::op_catalog()) {
                for (const Sizes &sizes : op->examples) {
                    const std::vector<gomhc::OpTensor> tensors = op->tensors(sizes);
                    const std::vector<Vec> inputs = random_inputs(tensors, seed++);
                    HostBackend hb;
                    DeviceBackend db(device, offset);
                    const std::vector<Vec> host = run_kernel(hb, op->name, sizes, inputs);
                    const std::vector<Vec> on_device = run_kernel(db, op->name, sizes, inputs);
                    size_t k = 0;
                    for (const gomhc::OpTensor &t : tensors) {
                        if (!t.output) {
                            continue;
                        }
                        INFO(std::string(op->name) << " output " << std::string(t.name) << " at ("
                                                   << sizes_text(sizes) << ")");
                        CHECK(ref::all_finite(host[k]));
                        CHECK(ref::normwise_error(on_device[k], host[k]) <= 1e-5);
                        k++;
                    }
                }
            }
        }
    }
}

// Runs `run` on the host and on `device` and checks that every result agrees.
template<size_t K, typename F>
void compare_backends(Device device, const F &run, double tolerance, int64_t offset = 0) {
    HostBackend hb;
    DeviceBackend cb(device, offset);
    std::array<Vec, K> results[2];
    Backend *backends[2] = {&hb, &cb};
    for (int which = 0; which < 2; which++) {
        results[which] = run(*backends[which]);
    }
    for (size_t k = 0; k < K; k++) {
        CAPTURE(k);
        CHECK(ref::normwise_error(results[1][k], results[0][k]) <= tolerance);
    }
}

// AdamW keeps moments between calls, so it is a class, not a catalog op.
TEST_CASE("gpu: squared norm and three AdamW steps match the host kernels") {
    for (Device device : gpus()) {
        for (const int64_t offset : {0, 37}) {
            INFO(gomhc::device_name(device) << ", tensors at offset " << offset);
            const int64_t n = 100003;  // not a multiple of any block size
            ref::Rng rng(6100);
            const Vec params = ref::to_double(ref::to_float(rng.normal_vec(size_t(n), 1.0)));
            const Vec grads = ref::to_double(ref::to_float(rng.normal_vec(size_t(n), 0.1)));
            gomhc::AdamwSettings settings;
            settings.weight_decay = 0.1f;
            settings.max_norm = 1.0f;
            compare_backends<4>(
                device,
                [&](Backend &b) {
                    const Device on = b.name() == "host" ? Device::host : device;
                    gomhc::Adamw opt(n, {{0, n / 2}}, on);
                    const auto pv = b.input(params, {n}), gv = b.input(grads, {n});
                    const auto norm = b.output({1});
                    gomhc::squared_norm(gv, norm);
                    const Vec first_norm = b.download(norm);
                    // The parameters are updated in place: a writable copy.
                    const auto live = b.output({n});
                    gomhc::add(pv, b.input(Vec(size_t(n), 0.0), {n}), live);
                    for (int step = 0; step < 3; step++) {
                        opt.step(live, gv, norm, settings);
                    }
                    const gomhc::TensorView m = opt.first_moment_view(),
                                            v = opt.second_moment_view();
                    return std::array<Vec, 4>{first_norm, b.download(live), b.download(m),
                                              b.download(v)};
                },
                1e-5, offset);
        }
    }
}

// The C API takes device memory as a pointer: a CUDA address, or an OpenCL
// cl_mem (one tensor per buffer).
TEST_CASE("gpu: the C API on device pointers matches the host C API") {
    for (Device device : gpus()) {
        INFO(gomhc::device_name(device));
        const int code = device == Device::cuda ? GOMHC_DEVICE_CUDA : GOMHC_DEVICE_OPENCL;
        const int d = 4, s = 2;
        const int64_t tokens = 33, c = 24;
        ref::Rng rng(5500);
        const std::vector<float> x = ref::to_float(rng.normal_vec(size_t(tokens * d * c), 1.0));
        const std::vector<float> g = ref::to_float(rng.normal_vec(size_t(tokens * d * c), 1.0));

        // One step of a C layer on `on`, F = identity; returns x_next, dx, grads.
        auto step = [&](Device on) {
            const int on_code = on == Device::host ? GOMHC_DEVICE_HOST : code;
            gomhc_layer *layer = nullptr;
            REQUIRE(gomhc_layer_create_on("go", d, s, c, 9, on_code, &layer) == GOMHC_OK);
            CHECK(gomhc_layer_device(layer) == on_code);
            const int64_t np = gomhc_layer_num_params(layer);
            std::deque<gomhc::DeviceMemory> memory;
            auto put = [&](const std::vector<float> &host) {
                memory.emplace_back(on, host.size());
                memory.back().upload(host.data(), host.size());
                return const_cast<float *>(memory.back().view({int64_t(host.size())}).data());
            };
            auto get = [&](size_t count, const float *p) {
                std::vector<float> host(count);
                gomhc::download(view_of(on, p, int64_t(count)), host.data());
                return host;
            };
            const std::vector<float> y_host(size_t(tokens * c)), scratch(x.size());
            float *vx = put(x), *vg = put(g), *y = put(y_host), *x_next = put(scratch),
                  *dx = put(scratch), *df = put(y_host);
            REQUIRE(gomhc_layer_pre(layer, tokens, vx, y) == GOMHC_OK);
            REQUIRE(gomhc_layer_post(layer, tokens, vx, y, x_next) == GOMHC_OK);
            REQUIRE(gomhc_layer_post_backward(layer, tokens, vg, dx, df) == GOMHC_OK);
            REQUIRE(gomhc_layer_pre_backward(layer, tokens, df, dx) == GOMHC_OK);
            std::vector<std::vector<float>> out = {get(x.size(), x_next), get(x.size(), dx),
                                                   get(size_t(np), gomhc_layer_grads(layer))};
            gomhc_layer_destroy(layer);
            return out;
        };
        const auto host = step(Device::host), on_device = step(device);
        for (size_t k = 0; k < host.size(); k++) {
            CAPTURE(k);
            const Vec h = ref::to_double(host[k]), v = ref::to_double(on_device[k]);
            CHECK(ref::max_abs_error(v, h) <= 1e-4 * std::max(1.0, ref::max_abs(h)));
        }

        // A core op and a catalog op with this thread's pointers on the device.
        const float params[1] = {1.0f / 3.0f};
        gomhc::DeviceMemory p(device, 1), q(device, 4), y(device, 2);
        p.upload(params, 1);
        REQUIRE(gomhc_set_device(code) == GOMHC_OK);
        const int rc = gomhc_cayley_forward(1, 2, 1, p.view({1}).data(),
                                            const_cast<float *>(q.view({4}).data()));
        const double sizes[] = {1, 2, 2, 1.0};
        void *tensors[] = {const_cast<float *>(q.view({4}).data()),
                           const_cast<float *>(y.view({2}).data())};
        const int sum_rc = gomhc_op_run("stream_sum_forward", sizes, 4, tensors, 2);
        REQUIRE(gomhc_set_device(GOMHC_DEVICE_HOST) == GOMHC_OK);
        REQUIRE(rc == GOMHC_OK);
        REQUIRE(sum_rc == GOMHC_OK);
        std::vector<float> qh(4), yh(2);
        q.download(qh.data(), 4);
        y.download(yh.data(), 2);
        CHECK(ref::max_abs_error(ref::to_double(qh), Vec{0.8, -0.6, 0.6, 0.8}) <= 1e-6);
        CHECK(ref::max_abs_error(ref::to_double(yh), Vec{1.4, 0.2}) <= 1e-6);
    }
}

// Runs every case; where no GPU API is usable the device checks skipped
// themselves, so the suite exits 77 for CTest to report it as skipped (after
// the cases that need no GPU have passed). GOMHC_REQUIRE_OPENCL=1 turns a
// missing OpenCL device into a failure.
int main(int argc, char **argv) {
    doctest::Context context(argc, argv);
    const int failed = context.run();
    if (failed != 0 || context.shouldExit()) {
        return failed;
    }
    if (!gomhc::opencl_available() && missing_opencl_fails(gomhc::opencl_unavailable_reason())) {
        return 1;
    }
    if (gpus().empty()) {
        std::printf("SKIP gpu: no GPU API can be used here\n");
        return 77;
    }
    return 0;
}
