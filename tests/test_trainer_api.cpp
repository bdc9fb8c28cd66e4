// What a trainer needs from the library, at the shapes trainers use:
//  * the layer forward and backward against the float64 reference at
//    T = 300 tokens and C = 384 features, where the coefficient kernels split
//    the tokens into several tasks and blocks with tails, both coefficient
//    backward variants run (kromhc d = 4 has K = 10 coefficients, below the
//    narrow-K threshold; the others are wide), and dx / dW are written by
//    several threads. Gradients are checked along random directions, one per
//    parameter group (a full finite-difference gradient would need a million
//    forwards): |<g, v> - (L(p + h v) - L(p - h v)) / 2h| <= 1e-3 sum |g_i v_i|.
//    float32 rounding leaves the kernels near 1e-6 relative, so only rounding
//    fits in that; a wrong term in a group moves <g, v> by far more;
//  * bitwise the same outputs and gradients with 1 and 2 threads;
//  * parameters and gradients bound into caller-owned flat blocks, with the
//    documented layout, from C++ and C;
//  * a seeded initialisation that does not depend on the standard library's
//    distributions (drawn here again from std::mt19937_64's raw output);
//  * the C status codes of each kind of failure, and the C API's devices
//    (per-thread op device, CUDA layers) where no GPU is usable.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gomhc.h"
#include "kernel_util.h"
#include "layer_checks.h"
#include "layer_reference.h"

using namespace layer_checks;
using gomhc_test::names;

namespace {

constexpr int64_t kTrainerTokens = 300;
constexpr int64_t kTrainerWidth = 384;
constexpr double kDirectionalTol = 1e-3;
constexpr double kDirectionalStep = 1e-4;

std::vector<LayerCase> trainer_cases() {
    const int64_t t = kTrainerTokens, c = kTrainerWidth;
    return {{Method::residual, 1, 1, c, t}, {Method::hc, 4, 1, c, t},     {Method::mhc, 4, 1, c, t},
            {Method::mhc_lite, 4, 1, c, t}, {Method::kromhc, 4, 1, c, t}, {Method::go, 4, 2, c, t},
            {Method::go_kron, 4, 1, c, t},  {Method::go_kron, 4, 2, c, t}};
}

// A random direction on entries [begin, end) of a vector of `size` entries.
Vec direction(ref::Rng &rng, size_t size, int64_t begin, int64_t end) {
    Vec v(size, 0.0);
    for (int64_t i = begin; i < end; ++i) {
        v[size_t(i)] = rng.normal(1.0);
    }
    return v;
}

Vec axpy(const Vec &x, double a, const Vec &v) {
    Vec out = x;
    for (size_t i = 0; i < out.size(); ++i) {
        out[i] += a * v[i];
    }
    return out;
}

// <g, v> against the central difference of `loss` along v.
template<typename Loss>
void check_directional(const std::string &what, const Vec &g, const Vec &at, const Vec &v,
                       Loss loss) {
    INFO(what);
    REQUIRE(g.size() == v.size());
    double dot = 0.0, magnitude = 0.0;
    for (size_t i = 0; i < g.size(); ++i) {
        dot += g[i] * v[i];
        magnitude += std::abs(g[i] * v[i]);
    }
    const double h = kDirectionalStep;
    const double fd = (loss(axpy(at, h, v)) - loss(axpy(at, -h, v))) / (2.0 * h);
    INFO("<g, v> = " << dot << ", finite difference " << fd << ", sum |g v| = " << magnitude);
    CHECK(std::isfinite(dot));
    CHECK(magnitude > 0.0);  // the group's gradient is not identically zero
    CHECK(std::abs(dot - fd) <= kDirectionalTol * magnitude);
}

struct Group {
    const char *name;
    int64_t begin, end;
};

std::vector<Group> param_groups(const ref::LayerShape &shape) {
    const auto lay = ref::layer_param_layout(shape);
    const int64_t d = shape.d, dc = shape.d * shape.c;
    return {{"W_pre", lay.w, lay.w + d * dc},
            {"W_post", lay.w + d * dc, lay.w + 2 * d * dc},
            {"W_res", lay.w + 2 * d * dc, lay.w + lay.k * dc},
            {"b", lay.b, lay.b + lay.k},
            {"a_pre, a_post, a_res", lay.a_pre, lay.a_res + 1}};
}

bool same_bits(const Vec &a, const Vec &b) {
    // Through float: the kernels' outputs are float32 values widened to double.
    // Empty vectors may hold null, which memcmp must not get (UBSan).
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Restores Halide's default thread count when a test case ends, even on failure.
struct DefaultThreadsAfter {
    ~DefaultThreadsAfter() { gomhc::set_num_threads(0); }
};

}  // namespace

TEST_CASE("layer at trainer shapes: forward and gradients along each group match the reference") {
    for (const LayerCase &lc : trainer_cases()) {
        INFO(describe(lc));
        LayerFixture fx(lc, 77);
        const int64_t t = lc.tokens;
        const LayerRun k = run_layer(fx.layer, t, fx.x, &fx.f, fx.g_next, fx.g_y);
        check_layer_forward(ref::layer_forward(fx.shape, t, fx.params, fx.x, fx.f), k);

        ref::Rng rng(4242);
        check_directional("dx", k.dx, fx.x, direction(rng, fx.x.size(), 0, int64_t(fx.x.size())),
                          [&](const Vec &x) {
                              return ref::layer_loss(fx.shape, t, fx.params, x, fx.f, fx.g_next,
                                                     fx.g_y);
                          });
        check_directional("df", k.df, fx.f, direction(rng, fx.f.size(), 0, int64_t(fx.f.size())),
                          [&](const Vec &f) {
                              return ref::layer_loss(fx.shape, t, fx.params, fx.x, f, fx.g_next,
                                                     fx.g_y);
                          });
        if (fx.params.empty()) {
            continue;  // residual: no parameters
        }
        for (const Group &gr : param_groups(fx.shape)) {
            check_directional(
                std::string("gradient of ") + gr.name, k.grads, fx.params,
                direction(rng, fx.params.size(), gr.begin, gr.end), [&](const Vec &p) {
                    return ref::layer_loss(fx.shape, t, p, fx.x, fx.f, fx.g_next, fx.g_y);
                });
        }
    }
}

TEST_CASE("layer at trainer shapes: 1 and 2 threads give bitwise the same step") {
    DefaultThreadsAfter restore;
    for (const LayerCase &lc : trainer_cases()) {
        INFO(describe(lc));
        LayerFixture fx(lc, 78);
        gomhc::set_num_threads(1);
        REQUIRE(gomhc::num_threads() == 1);
        const LayerRun one = run_layer(fx.layer, lc.tokens, fx.x, &fx.f, fx.g_next, fx.g_y);
        gomhc::set_num_threads(2);
        REQUIRE(gomhc::num_threads() == 2);
        const LayerRun two = run_layer(fx.layer, lc.tokens, fx.x, &fx.f, fx.g_next, fx.g_y);
        CHECK(same_bits(one.y, two.y));
        CHECK(same_bits(one.x_next, two.x_next));
        CHECK(same_bits(one.h_pre, two.h_pre));
        CHECK(same_bits(one.h_post, two.h_post));
        CHECK(same_bits(one.h_res, two.h_res));
        CHECK(same_bits(one.dx, two.dx));
        CHECK(same_bits(one.df, two.df));
        CHECK(same_bits(one.grads, two.grads));
    }
}

TEST_CASE("set_num_threads: explicit counts are kept, 0 restores the default, < 0 is rejected") {
    DefaultThreadsAfter restore;
    gomhc::set_num_threads(0);
    const int by_default = gomhc::num_threads();
    CHECK(by_default >= 1);
    gomhc::set_num_threads(3);
    CHECK(gomhc::num_threads() == 3);
    CHECK_THROWS_AS(gomhc::set_num_threads(-1), gomhc::InvalidArgument);
    CHECK(gomhc::num_threads() == 3);  // a rejected call changes nothing
    gomhc::set_num_threads(0);
    CHECK(gomhc::num_threads() == by_default);

    CHECK(gomhc_set_num_threads(1) == GOMHC_OK);
    CHECK(gomhc_num_threads() == 1);
    CHECK(gomhc_set_num_threads(-2) == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "threads"));
    CHECK(gomhc_num_threads() == 1);
}

TEST_CASE("parallel_for: every index once, on the pool's threads, the first exception rethrown") {
    DefaultThreadsAfter restore;
    gomhc::set_num_threads(2);
    std::vector<std::atomic<int>> runs(37);
    std::mutex lock;
    std::set<std::thread::id> threads;
    gomhc::parallel_for(int64_t(runs.size()), [&](int64_t i) {
        runs[size_t(i)]++;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // room for the second thread
        std::lock_guard<std::mutex> hold(lock);
        threads.insert(std::this_thread::get_id());
    });
    for (const auto &r : runs) {
        CHECK(r.load() == 1);
    }
    CHECK(threads.size() == 2);
    int calls = 0;
    gomhc::parallel_for(0, [&](int64_t) { calls++; });
    CHECK(calls == 0);
    CHECK_THROWS_WITH_AS(gomhc::parallel_for(8,
                                             [](int64_t i) {
                                                 if (i == 5) {
                                                     throw gomhc::InvalidArgument("slice 5");
                                                 }
                                             }),
                         "slice 5", gomhc::InvalidArgument);
    CHECK_THROWS_AS(gomhc::parallel_for(int64_t(1) << 40, [](int64_t) {}), gomhc::InvalidArgument);
}

TEST_CASE("param_layout: names, offsets and shapes of the documented flat layout") {
    const int64_t c = 24;
    for (Method m : gomhc::all_methods()) {
        const int d = m == Method::residual ? 1 : 4, s = 2;
        INFO(name_of(m));
        gomhc::HyperConnection layer(m, d, s, c, 3);
        const auto lay = ref::layer_param_layout(ref_shape(m, d, s, c));
        const auto slices = layer.param_layout();
        if (m == Method::residual) {
            CHECK(slices.empty());
            continue;
        }
        REQUIRE(slices.size() == 5);
        const std::vector<std::string> expected_names = {"W", "b", "a_pre", "a_post", "a_res"};
        const std::vector<int64_t> expected_offsets = {lay.w, lay.b, lay.a_pre, lay.a_post,
                                                       lay.a_res};
        const std::vector<std::vector<int64_t>> expected_shapes = {
            {lay.k, d * c}, {lay.k}, {1}, {1}, {1}};
        int64_t covered = 0;
        for (size_t i = 0; i < slices.size(); ++i) {
            CHECK(slices[i].name == expected_names[i]);
            CHECK(slices[i].offset == expected_offsets[i]);
            CHECK(slices[i].shape == expected_shapes[i]);
            covered += gomhc_test::element_count(slices[i].shape);
        }
        CHECK(covered == layer.num_params());  // the slices tile the block
    }
}

TEST_CASE("bind: two layers in one flat parameter block and one gradient block") {
    const int64_t c = 16, t = 5;
    gomhc::HyperConnection a(Method::go, 4, 2, c, 11), b(Method::mhc, 3, 1, c, 12);
    gomhc::HyperConnection a_own(Method::go, 4, 2, c, 11), b_own(Method::mhc, 3, 1, c, 12);
    CHECK_FALSE(a.bound());
    const int64_t na = a.num_params(), nb = b.num_params();
    const Vec a_init = layer_params(a), b_init = layer_params(b);
    std::vector<float> params(size_t(na + nb), 0.0f), grads(size_t(na + nb), -1.0f);

    a.bind(params.data(), grads.data());
    b.bind(params.data() + na, grads.data() + na);
    CHECK(a.bound());
    CHECK(b.bound());
    CHECK(a.params() == params.data());
    CHECK(b.grads() == grads.data() + na);
    // The current values were copied into the caller's block.
    CHECK(Vec(params.begin(), params.begin() + na) == a_init);
    CHECK(Vec(params.begin() + na, params.end()) == b_init);

    // A step on the bound layers gives bitwise what the owning layers give,
    // and its gradients land in the caller's block.
    ref::Rng rng(5);
    for (auto [bound, own] : {std::pair{&a, &a_own}, std::pair{&b, &b_own}}) {
        const int d = bound->d();
        const Vec x = normal_f32(rng, t * d * c, 1.0), f = normal_f32(rng, t * c, 1.0),
                  g = normal_f32(rng, t * d * c, 1.0), gy = normal_f32(rng, t * c, 1.0);
        const LayerRun rb = run_layer(*bound, t, x, &f, g, gy);
        const LayerRun ro = run_layer(*own, t, x, &f, g, gy);
        CHECK(same_bits(rb.x_next, ro.x_next));
        CHECK(same_bits(rb.dx, ro.dx));
        CHECK(same_bits(rb.grads, ro.grads));
    }
    const float *ga = grads.data(), *gb = grads.data() + na;
    CHECK(Vec(ga, ga + na) == layer_grads(a_own));
    CHECK(Vec(gb, gb + nb) == layer_grads(b_own));

    // An update the caller makes in its block is what the layer uses next.
    params[0] += 0.25f;
    CHECK(a.params()[0] == params[0]);

    // Bad bindings are rejected and leave the binding as it was.
    CHECK_THROWS_AS(a.bind(nullptr, grads.data()), gomhc::InvalidArgument);
    CHECK_THROWS_AS(a.bind(params.data(), nullptr), gomhc::InvalidArgument);
    std::vector<float> block(size_t(2 * na));
    CHECK_THROWS_AS(a.bind(block.data(), block.data() + na / 2), gomhc::InvalidArgument);
    CHECK(a.params() == params.data());

    // A layer without parameters takes null pointers.
    gomhc::HyperConnection residual(Method::residual, 1, 1, c, 0);
    CHECK_NOTHROW(residual.bind(nullptr, nullptr));
}

TEST_CASE("C API: parameter slices and binding to a caller's block") {
    const int d = 4, s = 2;
    const int64_t c = 8;
    CLayer layer;
    REQUIRE(gomhc_layer_create("go", d, s, c, 21, &layer.p) == GOMHC_OK);
    const int64_t np = gomhc_layer_num_params(layer.p);
    const auto lay = ref::layer_param_layout(ref_shape(Method::go, d, s, c));
    REQUIRE(np == lay.count);

    REQUIRE(gomhc_layer_param_slice_count(layer.p) == 5);
    gomhc_param_slice w{}, a_res{};
    REQUIRE(gomhc_layer_param_slice(layer.p, 0, &w) == GOMHC_OK);
    CHECK(std::string(w.name) == "W");
    CHECK(w.offset == lay.w);
    CHECK(w.rank == 2);
    CHECK(w.shape[0] == lay.k);
    CHECK(w.shape[1] == d * c);
    REQUIRE(gomhc_layer_param_slice(layer.p, 4, &a_res) == GOMHC_OK);
    CHECK(std::string(a_res.name) == "a_res");
    CHECK(a_res.offset == lay.a_res);
    CHECK(a_res.rank == 1);
    CHECK(a_res.shape[0] == 1);
    CHECK(gomhc_layer_param_slice(layer.p, 5, &w) == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "index"));
    CHECK(gomhc_layer_param_slice(layer.p, 0, nullptr) == GOMHC_INVALID_ARGUMENT);

    const std::vector<float> before(gomhc_layer_params(layer.p), gomhc_layer_params(layer.p) + np);
    std::vector<float> params(size_t(np), 0.0f), grads(size_t(np), 1.0f);
    CHECK(gomhc_layer_bind(layer.p, nullptr, grads.data()) == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "params"));
    REQUIRE(gomhc_layer_bind(layer.p, params.data(), grads.data()) == GOMHC_OK);
    CHECK(params == before);
    CHECK(gomhc_layer_params(layer.p) == params.data());
    CHECK(gomhc_layer_grads(layer.p) == grads.data());
    REQUIRE(gomhc_layer_zero_grads(layer.p) == GOMHC_OK);
    CHECK(std::all_of(grads.begin(), grads.end(), [](float g) { return g == 0.0f; }));
}

TEST_CASE("seeded initialisation is the documented Box-Muller over std::mt19937_64's raw output") {
    // Drawn here without std::normal_distribution, whose algorithm differs
    // between standard libraries: u = (top 53 bits + 1/2) / 2^53, two
    // uniforms give r = sqrt(-2 ln u1), cos(2 pi u2) r first, then sin.
    const int d = 4, s = 2;
    const int64_t c = 32;
    const uint64_t seed = 2026;
    gomhc::HyperConnection layer(Method::go, d, s, c, seed);
    std::mt19937_64 engine(seed);
    auto uniform = [&] { return (double(engine() >> 11) + 0.5) / 9007199254740992.0; };
    const double sigma = 1.0 / std::sqrt(double(d * c));
    const double pi = std::acos(-1.0);
    const float *w = layer.params();
    const int64_t w_count = ref::layer_param_layout(ref_shape(Method::go, d, s, c)).b;
    for (int64_t i = 0; i + 1 < w_count; i += 2) {
        const double u1 = uniform(), u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        CHECK(w[i] == float(sigma * r * std::cos(2.0 * pi * u2)));
        CHECK(w[i + 1] == float(sigma * r * std::sin(2.0 * pi * u2)));
    }
}

TEST_CASE("C API: each kind of failure has its own status code") {
    // A bad argument.
    gomhc_layer *p = nullptr;
    CHECK(gomhc_layer_create("go", 4, 2, 0, 0, &p) == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "c"));
    CHECK(p == nullptr);
    // A call out of order.
    CLayer layer;
    REQUIRE(gomhc_layer_create("hc", 2, 1, 4, 0, &layer.p) == GOMHC_OK);
    std::vector<float> x(8, 1.0f), f(4, 1.0f), xn(8);
    CHECK(gomhc_layer_post(layer.p, 1, x.data(), f.data(), xn.data()) == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "order"));
    // A bad value under the finite check is the caller's data: an argument.
    gomhc_set_check_finite(1);
    std::vector<float> y(4);
    x[3] = std::nanf("");
    const int rc = gomhc_layer_pre(layer.p, 1, x.data(), y.data());
    gomhc_set_check_finite(0);
    CHECK(rc == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "x"));
}

TEST_CASE("C API: the device of a thread's op pointers and of a layer") {
    CHECK(gomhc_device() == GOMHC_DEVICE_HOST);
    CHECK(gomhc_set_device(3) == GOMHC_INVALID_ARGUMENT);  // host, CUDA, OpenCL are 0 to 2
    CHECK(names(gomhc_last_error(), "device"));
    CHECK(gomhc_set_device(-1) == GOMHC_INVALID_ARGUMENT);
    CHECK(gomhc_device() == GOMHC_DEVICE_HOST);  // a rejected call changes nothing

    // Each thread has its own.
    int other_thread_saw = -1;
    std::thread([&] {
        CHECK(gomhc_set_device(GOMHC_DEVICE_CUDA) == GOMHC_OK);
        other_thread_saw = gomhc_device();
    }).join();
    CHECK(other_thread_saw == GOMHC_DEVICE_CUDA);
    CHECK(gomhc_device() == GOMHC_DEVICE_HOST);

    CLayer host;
    REQUIRE(gomhc_layer_create("go", 4, 2, 8, 1, &host.p) == GOMHC_OK);
    CHECK(gomhc_layer_device(host.p) == GOMHC_DEVICE_HOST);
    CHECK(gomhc_layer_device(nullptr) == -1);
    gomhc_layer *p = nullptr;
    CHECK(gomhc_layer_create_on("go", 4, 2, 8, 1, 7, &p) == GOMHC_INVALID_ARGUMENT);
    CHECK(names(gomhc_last_error(), "device"));
    CHECK(p == nullptr);
}

TEST_CASE("C API: CUDA without a GPU is GOMHC_UNSUPPORTED, with the reason") {
    if (gomhc_cuda_available()) {
        MESSAGE("a GPU is usable: test_cuda checks the CUDA paths");
        return;
    }
    const std::string why = gomhc_last_error();
    CHECK_FALSE(why.empty());

    gomhc_layer *p = nullptr;
    CHECK(gomhc_layer_create_on("go", 4, 2, 8, 1, GOMHC_DEVICE_CUDA, &p) == GOMHC_UNSUPPORTED);
    CHECK(p == nullptr);
    CHECK_FALSE(std::string(gomhc_last_error()).empty());

    float *device = nullptr;
    CHECK(gomhc_cuda_malloc(16, &device) == GOMHC_UNSUPPORTED);
    CHECK(device == nullptr);
    CHECK(gomhc_cuda_synchronize() == GOMHC_UNSUPPORTED);

    // The core ops on this thread take device pointers now, which cannot run.
    REQUIRE(gomhc_set_device(GOMHC_DEVICE_CUDA) == GOMHC_OK);
    float params[1] = {0.5f}, q[4] = {};
    const int rc = gomhc_cayley_forward(1, 2, 1, params, q);
    REQUIRE(gomhc_set_device(GOMHC_DEVICE_HOST) == GOMHC_OK);
    CHECK(rc == GOMHC_UNSUPPORTED);
    CHECK(gomhc_cayley_forward(1, 2, 1, params, q) == GOMHC_OK);  // back on the host
}
