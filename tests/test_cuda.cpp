// The CUDA kernels on device memory against the float64 reference: the same
// checks as the host suites, on a smaller set of shapes. Without a usable GPU
// the device checks are skipped: the suite prints "SKIP cuda: <reason>" and
// exits 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <limits>
#include <tuple>

#include "gomhc.h"
#include "kernel_checks.h"

using namespace gomhc_test;

namespace {

// Device buffers through gomhc's own device-memory helpers (the library's
// one CUDA driver loader); freed when the backend dies.
class CudaBackend : public Backend {
public:
    ~CudaBackend() override {
        for (float *p : allocations_) {
            gomhc::cuda_free(p);
        }
    }
    gomhc::TensorView input(const Vec &values, Shape shape) override {
        REQUIRE(int64_t(values.size()) == element_count(shape));
        const std::vector<float> host = ref::to_float(values);
        float *dev = allocate(host.size());
        gomhc::cuda_upload(dev, host.data(), host.size());
        return gomhc::TensorView::cuda(static_cast<const float *>(dev), std::move(shape));
    }
    gomhc::TensorView output(Shape shape) override {
        const std::vector<float> nan(size_t(element_count(shape)),
                                     std::numeric_limits<float>::quiet_NaN());
        float *dev = allocate(nan.size());
        gomhc::cuda_upload(dev, nan.data(), nan.size());
        return gomhc::TensorView::cuda(dev, std::move(shape));
    }
    Vec download(const gomhc::TensorView &view) override {
        CHECK(view.device() == gomhc::Device::cuda);
        std::vector<float> host(size_t(view.size()));
        gomhc::cuda_download(host.data(), view.data(), host.size());
        return ref::to_double(host);
    }
    gomhc::TokenView tokens(const std::vector<int32_t> &ids, Shape shape) override {
        REQUIRE(int64_t(ids.size()) == element_count(shape));
        float *dev = allocate(ids.size());
        gomhc::cuda_upload(dev, reinterpret_cast<const float *>(ids.data()), ids.size());
        return gomhc::TokenView::cuda(reinterpret_cast<const int32_t *>(dev), std::move(shape));
    }
    std::string name() const override { return "cuda"; }
    gomhc::Device device() const override { return gomhc::Device::cuda; }

private:
    float *allocate(size_t count) {
        allocations_.push_back(gomhc::cuda_malloc(count));
        return allocations_.back();
    }
    std::vector<float *> allocations_;
};

// True when the CUDA checks should run; otherwise prints the SKIP line once.
bool cuda_ready() {
    static const bool ready = [] {
        if (!gomhc::cuda_available()) {
            const std::string why = gomhc::cuda_unavailable_reason();
            std::printf("SKIP cuda: %s\n", why.c_str());
            std::fflush(stdout);
            return false;
        }
        return true;
    }();
    if (!ready) {
        MESSAGE("SKIP cuda: " << gomhc::cuda_unavailable_reason());
        return false;
    }
    gomhc::set_cuda_context(nullptr, nullptr);  // the device-0 primary context
    return true;
}

const DS kCudaShapes[] = {{2, 1}, {4, 2}, {8, 4}, {16, 2}, {3, 3}, {5, 2}, {7, 9}, {32, 2}};

}  // namespace

TEST_CASE("cuda: availability is reported consistently") {
    if (!gomhc::cuda_available()) {
        CHECK_FALSE(gomhc::cuda_unavailable_reason().empty());
    }
    cuda_ready();
}

TEST_CASE("cuda: views report their device") {
    float dummy[4] = {};
    const auto v = gomhc::TensorView::cuda(dummy, {2, 2});
    CHECK(v.device() == gomhc::Device::cuda);
    CHECK(v.size() == 4);
    CHECK(gomhc::TensorView::host(dummy, {4}).device() == gomhc::Device::host);
}

TEST_CASE("cuda: mixing host and cuda views throws gomhc::Error") {
    // Checked before any memory is touched, so a fake device pointer is fine.
    float host_q[4] = {}, fake_device[4] = {};
    const float params[1] = {0.5f};
    CHECK_THROWS_AS(gomhc::cayley_forward(2, 1, gomhc::TensorView::host(params, {1, 1}),
                                          gomhc::TensorView::cuda(fake_device, {1, 2, 2})),
                    gomhc::Error);
    CHECK_THROWS_AS(gomhc::cayley_forward(2, 1, gomhc::TensorView::cuda(params, {1, 1}),
                                          gomhc::TensorView::host(host_q, {1, 2, 2})),
                    gomhc::Error);
}

TEST_CASE("cuda: all-cuda views without a GPU throw gomhc::Error") {
    if (gomhc::cuda_available()) {
        return;
    }
    float fake[4] = {};
    CHECK_THROWS_AS(gomhc::cayley_forward(2, 1, gomhc::TensorView::cuda(fake, {1, 1}),
                                          gomhc::TensorView::cuda(fake, {1, 2, 2})),
                    gomhc::Error);
}

TEST_CASE("cuda: worked example d=2, s=1") {
    if (!cuda_ready()) {
        return;
    }
    CudaBackend b;
    const Vec q = run_kernel(b, "cayley_forward", {1, 2, 1}, {Vec{double(1.0f / 3.0f)}})[0];
    CHECK(ref::max_abs_error(q, Vec{0.8, -0.6, 0.6, 0.8}) <= 1e-6);
    const Vec h = run_kernel(b, "orthostochastic_forward", {1, 2, 1}, {q})[0];
    CHECK(ref::max_abs_error(h, Vec{0.64, 0.36, 0.36, 0.64}) <= 1e-6);
}

TEST_CASE("cuda: cayley forward vs reference and properties across sigma") {
    if (!cuda_ready()) {
        return;
    }
    uint64_t seed = 5000;
    for (DS ds : kCudaShapes) {
        for (int64_t tokens : {1, 17, 1000}) {
            CudaBackend b;
            check_cayley_forward(b, tokens, ds.d, ds.s, 1.0, seed++);
        }
        for (double sigma : {0.01, 10.0, 100.0}) {
            CudaBackend b;
            check_cayley_forward(b, 33, ds.d, ds.s, sigma, seed++);
        }
    }
}

TEST_CASE("cuda: cayley backward vs reference and finite differences") {
    if (!cuda_ready()) {
        return;
    }
    uint64_t seed = 5100;
    for (DS ds : kCudaShapes) {
        for (int64_t tokens : {1, 17, 1000}) {
            CudaBackend b;
            check_cayley_backward_vs_reference(b, tokens, ds.d, ds.s, 1.0, seed++);
        }
    }
    for (DS ds : {DS{4, 2}, DS{3, 3}, DS{2, 1}}) {
        CudaBackend b;
        check_cayley_backward_vs_fd(b, 2, ds.d, ds.s, 1.0, seed++);
    }
}

TEST_CASE("cuda: orthostochastic forward, properties and backward") {
    if (!cuda_ready()) {
        return;
    }
    uint64_t seed = 5200;
    for (DS ds : kCudaShapes) {
        for (int64_t tokens : {1, 17, 1000}) {
            CudaBackend b;
            check_orthostochastic_forward(b, tokens, ds.d, ds.s, seed++);
            check_orthostochastic_backward(b, tokens, ds.d, ds.s, seed++);
        }
        for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
            CudaBackend b;
            check_orthostochastic_properties(b, 33, ds.d, ds.s, sigma, seed++);
        }
    }
}

TEST_CASE("cuda: stream mixing vs reference and finite differences") {
    if (!cuda_ready()) {
        return;
    }
    uint64_t seed = 5300;
    const std::tuple<int64_t, int, int64_t> cases[] = {{1, 1, 1},       {3, 4, 17},   {17, 3, 129},
                                                       {1000, 4, 1000}, {1000, 1, 1}, {17, 16, 64}};
    for (auto [tokens, d, c] : cases) {
        CudaBackend b;
        check_stream_read(b, tokens, d, c, seed++, false);
        check_stream_write(b, tokens, d, c, seed++, false);
    }
    CudaBackend b;
    check_stream_read(b, 2, 3, 5, seed++, true);
    check_stream_write(b, 2, 3, 5, seed++, true);
}

// The layer and the mixers on CUDA memory against the same calls on the
// host: same seed, same inputs; every output and gradient must agree.
TEST_CASE("cuda: HyperConnection (and so each Mixer) matches the host for every method") {
    if (!cuda_ready()) {
        return;
    }
    using gomhc::Method;
    const std::tuple<Method, int, int> cases[] = {
        {Method::residual, 1, 1}, {Method::hc, 4, 1}, {Method::mhc, 4, 1}, {Method::mhc_lite, 3, 1},
        {Method::kromhc, 4, 1},   {Method::go, 4, 2}, {Method::go, 3, 1},  {Method::go_kron, 4, 2}};
    const int64_t tokens = 37, c = 20;
    uint64_t seed = 5400;
    for (auto [method, d, s] : cases) {
        CAPTURE(gomhc::method_name(method));
        ref::Rng rng(seed++);
        const Vec x = ref::to_double(ref::to_float(rng.normal_vec(size_t(tokens * d * c), 1.0)));
        const Vec f = ref::to_double(ref::to_float(rng.normal_vec(size_t(tokens * c), 1.0)));
        const Vec g = ref::to_double(ref::to_float(rng.normal_vec(size_t(tokens * d * c), 1.0)));
        const Vec gy = ref::to_double(ref::to_float(rng.normal_vec(size_t(tokens * c), 1.0)));
        HostBackend hb;
        CudaBackend cb;
        Vec results[2][4];  // per backend: x_next, dx, df, grads
        Backend *backends[2] = {&hb, &cb};
        for (int which = 0; which < 2; which++) {
            Backend &b = *backends[which];
            gomhc::HyperConnection layer(method, d, s, c, 7,
                                         which ? gomhc::Device::cuda : gomhc::Device::host);
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
                const gomhc::TensorView grads =
                    which ? gomhc::TensorView::cuda(static_cast<const float *>(layer.grads()),
                                                    {layer.num_params()})
                          : gomhc::TensorView::host(static_cast<const float *>(layer.grads()),
                                                    {layer.num_params()});
                results[which][3] = b.download(grads);
            }
        }
        for (int k = 0; k < 4; k++) {
            CAPTURE(k);
            CHECK(ref::max_abs_error(results[1][k], results[0][k]) <=
                  1e-4 * std::max(1.0, ref::max_abs(results[0][k])));
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
// wide enough to fill the GPU kernels' blocks): the CUDA kernel against the
// host kernel on the same inputs, output by output.
TEST_CASE("cuda: every catalog op matches the host kernels at its examples") {
    if (!cuda_ready()) {
        return;
    }
    uint64_t seed = 5600;
    for (const gomhc::OpInfo *op : gomhc::op_catalog()) {
        for (const Sizes &sizes : op->examples) {
            const std::vector<gomhc::OpTensor> tensors = op->tensors(sizes);
            const std::vector<Vec> inputs = random_inputs(tensors, seed++);
            HostBackend hb;
            CudaBackend cb;
            const std::vector<Vec> host = run_kernel(hb, op->name, sizes, inputs);
            const std::vector<Vec> cuda = run_kernel(cb, op->name, sizes, inputs);
            size_t k = 0;
            for (const gomhc::OpTensor &t : tensors) {
                if (!t.output) {
                    continue;
                }
                INFO(std::string(op->name)
                     << " output " << std::string(t.name) << " at (" << sizes_text(sizes) << ")");
                CHECK(ref::all_finite(host[k]));
                CHECK(ref::normwise_error(cuda[k], host[k]) <= 1e-5);
                k++;
            }
        }
    }
}

// Runs `run` on the host and on the GPU and checks that every result agrees.
template<size_t K, typename F>
void compare_backends(const F &run, double tolerance) {
    HostBackend hb;
    CudaBackend cb;
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
TEST_CASE("cuda: squared norm and three AdamW steps match the host kernels") {
    if (!cuda_ready()) {
        return;
    }
    const int64_t n = 100003;  // not a multiple of any block size
    ref::Rng rng(6100);
    const Vec params = ref::to_double(ref::to_float(rng.normal_vec(size_t(n), 1.0)));
    const Vec grads = ref::to_double(ref::to_float(rng.normal_vec(size_t(n), 0.1)));
    gomhc::AdamwSettings settings;
    settings.weight_decay = 0.1f;
    settings.max_norm = 1.0f;
    compare_backends<4>(
        [&](Backend &b) {
            const gomhc::Device device =
                b.name() == "cuda" ? gomhc::Device::cuda : gomhc::Device::host;
            gomhc::Adamw opt(n, {{0, n / 2}}, device);
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
            const gomhc::TensorView m = device == gomhc::Device::cuda
                                            ? gomhc::TensorView::cuda(opt.first_moment(), {n})
                                            : gomhc::TensorView::host(opt.first_moment(), {n});
            const gomhc::TensorView v = device == gomhc::Device::cuda
                                            ? gomhc::TensorView::cuda(opt.second_moment(), {n})
                                            : gomhc::TensorView::host(opt.second_moment(), {n});
            return std::array<Vec, 4>{first_norm, b.download(live), b.download(m), b.download(v)};
        },
        1e-5);
}

TEST_CASE("cuda: the C API on device pointers matches the host C API") {
    if (!cuda_ready()) {
        return;
    }
    const int d = 4, s = 2;
    const int64_t tokens = 33, c = 24;
    ref::Rng rng(5500);
    const std::vector<float> x = ref::to_float(rng.normal_vec(size_t(tokens * d * c), 1.0));
    const std::vector<float> f = ref::to_float(rng.normal_vec(size_t(tokens * c), 1.0));
    const std::vector<float> g = ref::to_float(rng.normal_vec(size_t(tokens * d * c), 1.0));

    // One step of a C layer on `device`, F = identity; returns x_next, dx, grads.
    auto step = [&](int device) {
        gomhc_layer *layer = nullptr;
        REQUIRE(gomhc_layer_create_on("go", d, s, c, 9, device, &layer) == GOMHC_OK);
        CHECK(gomhc_layer_device(layer) == device);
        const int64_t np = gomhc_layer_num_params(layer);
        std::vector<std::vector<float>> out = {std::vector<float>(x.size()),
                                               std::vector<float>(x.size()),
                                               std::vector<float>(size_t(np))};
        const bool cuda = device == GOMHC_DEVICE_CUDA;
        std::vector<float *> buffers;
        auto put = [&](const std::vector<float> &host) -> float * {
            if (!cuda) {
                return const_cast<float *>(host.data());
            }
            float *p = nullptr;
            REQUIRE(gomhc_cuda_malloc(host.size(), &p) == GOMHC_OK);
            REQUIRE(gomhc_cuda_upload(p, host.data(), host.size()) == GOMHC_OK);
            buffers.push_back(p);
            return p;
        };
        auto get = [&](std::vector<float> &host, const float *p) {
            if (cuda) {
                REQUIRE(gomhc_cuda_download(host.data(), p, host.size()) == GOMHC_OK);
            } else {
                std::copy(p, p + host.size(), host.begin());
            }
        };
        std::vector<float> y_host(size_t(tokens * c)), scratch(x.size());
        float *vx = put(x), *vg = put(g), *y = put(y_host), *x_next = put(scratch),
              *dx = put(scratch), *df = put(y_host);
        REQUIRE(gomhc_layer_pre(layer, tokens, vx, y) == GOMHC_OK);
        REQUIRE(gomhc_layer_post(layer, tokens, vx, y, x_next) == GOMHC_OK);
        REQUIRE(gomhc_layer_post_backward(layer, tokens, vg, dx, df) == GOMHC_OK);
        REQUIRE(gomhc_layer_pre_backward(layer, tokens, df, dx) == GOMHC_OK);
        get(out[0], x_next);
        get(out[1], dx);
        get(out[2], gomhc_layer_grads(layer));
        for (float *p : buffers) {
            CHECK(gomhc_cuda_free(p) == GOMHC_OK);
        }
        gomhc_layer_destroy(layer);
        return out;
    };
    const auto host = step(GOMHC_DEVICE_HOST), device = step(GOMHC_DEVICE_CUDA);
    for (size_t k = 0; k < host.size(); k++) {
        CAPTURE(k);
        const Vec h = ref::to_double(host[k]), v = ref::to_double(device[k]);
        CHECK(ref::max_abs_error(v, h) <= 1e-4 * std::max(1.0, ref::max_abs(h)));
    }

    // A core op with this thread's pointers on the device.
    const float params[1] = {1.0f / 3.0f};
    float *dp = nullptr, *dq = nullptr;
    REQUIRE(gomhc_cuda_malloc(1, &dp) == GOMHC_OK);
    REQUIRE(gomhc_cuda_malloc(4, &dq) == GOMHC_OK);
    REQUIRE(gomhc_cuda_upload(dp, params, 1) == GOMHC_OK);
    REQUIRE(gomhc_set_device(GOMHC_DEVICE_CUDA) == GOMHC_OK);
    const int rc = gomhc_cayley_forward(1, 2, 1, dp, dq);
    REQUIRE(gomhc_set_device(GOMHC_DEVICE_HOST) == GOMHC_OK);
    REQUIRE(rc == GOMHC_OK);
    float q[4] = {};
    REQUIRE(gomhc_cuda_download(q, dq, 4) == GOMHC_OK);
    CHECK(ref::max_abs_error(ref::to_double(std::vector<float>(q, q + 4)),
                             Vec{0.8, -0.6, 0.6, 0.8}) <= 1e-6);
    gomhc_cuda_free(dp);
    gomhc_cuda_free(dq);
}

// Runs every case; where no GPU is usable the device checks skipped
// themselves, so the suite exits 77 for CTest to report it as skipped (after
// the cases that need no GPU have passed).
int main(int argc, char **argv) {
    doctest::Context context(argc, argv);
    const int failed = context.run();
    if (failed != 0 || context.shouldExit()) {
        return failed;
    }
    if (!gomhc::cuda_available()) {
        std::printf("SKIP cuda: %s\n", gomhc::cuda_unavailable_reason().c_str());
        return 77;
    }
    return 0;
}
