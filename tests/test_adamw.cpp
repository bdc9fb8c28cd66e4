// The optimizer ops: gomhc::squared_norm and gomhc::Adamw against the float64
// reference (bias correction, decay on the chosen ranges only, clipping by
// the global norm), several steps, 1 vs 2 threads bitwise, add and fill, and
// bad settings refused without touching the parameters.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_util.h"
#include "model_reference.h"

namespace ref = gomhc::reference;
using gomhc::TensorView;
using gomhc_test::HostBackend;
using gomhc_test::throws_error_naming;
using ref::Vec;

TEST_CASE("squared_norm: matches the float64 sum of squares, any size") {
    for (int64_t n : {1, 7, 4096, 4097, 100003}) {
        INFO("n = " << n);
        ref::Rng rng(static_cast<uint64_t>(n));
        const Vec x = gomhc_test::normal_f32(rng, n, 1.0);
        double want = 0.0;
        for (double v : x) {
            want += v * v;
        }
        HostBackend b;
        const auto out = b.output({1});
        gomhc::squared_norm(b.input(x, {n}), out);
        CHECK(b.download(out)[0] == doctest::Approx(want).epsilon(1e-5));
    }
}

TEST_CASE("squared_norm: 1 and 2 threads give bitwise the same result") {
    ref::Rng rng(1);
    const Vec x = gomhc_test::normal_f32(rng, 200001, 1.0);
    HostBackend b;
    const auto in = b.input(x, {200001});
    double outs[2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        const auto out = b.output({1});
        gomhc::squared_norm(in, out);
        outs[threads - 1] = b.download(out)[0];
    }
    gomhc::set_num_threads(0);
    CHECK(outs[0] == outs[1]);
}

TEST_CASE("adamw: steps match the float64 reference, with decay ranges and clipping") {
    const int64_t n = 1001;
    const std::vector<std::pair<int64_t, int64_t>> decayed = {{0, 400}, {700, 101}};
    std::vector<uint8_t> mask(size_t(n), 0);
    for (auto [offset, count] : decayed) {
        std::fill_n(mask.begin() + offset, count, uint8_t(1));
    }
    for (float max_norm : {0.0f, 1.0f}) {
        INFO("max_norm = " << max_norm);
        ref::Rng rng(7);
        Vec params = gomhc_test::normal_f32(rng, n, 1.0);
        std::vector<float> p32(params.begin(), params.end());
        Vec m(size_t(n), 0.0), v(size_t(n), 0.0);
        gomhc::Adamw opt(n, decayed);
        const gomhc::AdamwSettings settings{1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, max_norm};
        const ref::AdamwHyper hyper{1e-2, 0.9, 0.95, 1e-8, 0.1, max_norm};
        for (int step = 1; step <= 3; step++) {
            const Vec grads = gomhc_test::normal_f32(rng, n, 0.5);
            std::vector<float> g32(grads.begin(), grads.end());
            const auto gv = TensorView::host(static_cast<const float *>(g32.data()), {n});
            float norm2 = 0.0f;
            gomhc::squared_norm(gv, TensorView::host(&norm2, {1}));
            opt.step(TensorView::host(p32.data(), {n}), gv,
                     TensorView::host(static_cast<const float *>(&norm2), {1}), settings);
            ref::adamw_step(params, grads, m, v, mask, step, hyper);
        }
        CHECK(opt.steps() == 3);
        CHECK(ref::max_abs_error(Vec(p32.begin(), p32.end()), params) <= 1e-5);
        const Vec m32(opt.first_moment(), opt.first_moment() + n);
        const Vec v32(opt.second_moment(), opt.second_moment() + n);
        CHECK(ref::max_abs_error(m32, m) <= 1e-6);
        CHECK(ref::max_abs_error(v32, v) <= 1e-6);
    }
}

TEST_CASE("adamw: 1 and 2 threads give bitwise the same parameters") {
    const int64_t n = 70001;
    ref::Rng rng(3);
    const Vec start = gomhc_test::normal_f32(rng, n, 1.0);
    const Vec grads = gomhc_test::normal_f32(rng, n, 1.0);
    std::vector<float> g32(grads.begin(), grads.end());
    std::vector<float> results[2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        std::vector<float> p(start.begin(), start.end());
        gomhc::Adamw opt(n, {{0, n / 2}});
        float norm2 = 0.0f;
        const auto gv = TensorView::host(static_cast<const float *>(g32.data()), {n});
        gomhc::squared_norm(gv, TensorView::host(&norm2, {1}));
        opt.step(TensorView::host(p.data(), {n}), gv,
                 TensorView::host(static_cast<const float *>(&norm2), {1}),
                 {1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f});
        results[threads - 1] = p;
    }
    gomhc::set_num_threads(0);
    CHECK(results[0] == results[1]);
}

TEST_CASE("adamw: bad settings and ranges are refused and leave the parameters alone") {
    const int64_t n = 16;
    std::vector<float> p(size_t(n), 1.0f), g(size_t(n), 0.5f);
    float norm2 = 4.0f;
    gomhc::Adamw opt(n, {});
    const auto step = [&](gomhc::AdamwSettings s) {
        opt.step(TensorView::host(p.data(), {n}),
                 TensorView::host(static_cast<const float *>(g.data()), {n}),
                 TensorView::host(static_cast<const float *>(&norm2), {1}), s);
    };
    CHECK(throws_error_naming([&] { step({-1e-3f, 0.9f, 0.95f, 1e-8f, 0.0f, 0.0f}); }, {"lr"}));
    CHECK(throws_error_naming([&] { step({1e-3f, 1.0f, 0.95f, 1e-8f, 0.0f, 0.0f}); }, {"beta1"}));
    CHECK(throws_error_naming([&] { step({1e-3f, 0.9f, 0.95f, 0.0f, 0.0f, 0.0f}); }, {"eps"}));
    CHECK(throws_error_naming(
        [&] {
            step({1e-3f, 0.9f, 0.95f, 1e-8f, NAN, 0.0f});
        },
        {"weight_decay"}));
    CHECK(throws_error_naming(
        [&] {
            opt.step(TensorView::host(p.data(), {n - 1}),
                     TensorView::host(static_cast<const float *>(g.data()), {n}),
                     TensorView::host(static_cast<const float *>(&norm2), {1}), {});
        },
        {"params", "[num_params]"}));
    CHECK(opt.steps() == 0);
    CHECK(p == std::vector<float>(size_t(n), 1.0f));
    CHECK(throws_error_naming([&] { gomhc::Adamw(n, {{10, 7}}); }, {"decayed range", "16"}));
    CHECK(throws_error_naming([&] { gomhc::Adamw(0, {}); }, {"num_params"}));
}

TEST_CASE("add and fill: elementwise, in place allowed") {
    std::vector<float> a = {1, 2, 3}, b = {10, 20, 30};
    gomhc::add(TensorView::host(static_cast<const float *>(a.data()), {3}),
               TensorView::host(static_cast<const float *>(b.data()), {3}),
               TensorView::host(a.data(), {3}));
    CHECK(a == std::vector<float>{11, 22, 33});
    gomhc::fill(TensorView::host(b.data(), {3}), -2.0f);
    CHECK(b == std::vector<float>{-2, -2, -2});
    CHECK(throws_error_naming(
        [&] {
            gomhc::add(TensorView::host(static_cast<const float *>(a.data()), {3}),
                       TensorView::host(static_cast<const float *>(b.data()), {2}),
                       TensorView::host(a.data(), {3}));
        },
        {"'b'"}));
}
