// The residual mixers (gomhc::Mixer) and the hyper-connection layer
// (gomhc::HyperConnection and the C layer API gomhc_layer_*) against the
// float64 reference of reference/layer_reference.h, at small shapes for
// every method. The tolerances are those of layer_checks.h; in addition the
// exact mixers (go, mhc-lite, kromhc, go-kron) keep |row sum - 1|,
// |col sum - 1| <= 1e-5 and entries >= 0 for logit scales 0.01, 1, 10.
// Gradients are checked entry by entry against central finite differences
// (step 1e-6) of the float64 forward, whose own error is ~1e-10 relative;
// float32 rounding puts the kernels near 1e-6 relative, so the tolerances
// leave room for rounding only: a wrong term in any group exceeds them.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gomhc.h"
#include "kernel_util.h"
#include "layer_checks.h"
#include "layer_reference.h"

namespace ref = gomhc::reference;
using gomhc::Method;
using gomhc_test::HostBackend;
using gomhc_test::names;
using gomhc_test::normal_f32;
using gomhc_test::Shape;
using gomhc_test::throws_error_naming;
using gomhc_test::throws_error_naming_any;
using ref::Vec;

using namespace layer_checks;

namespace {

// ---------------------------------------------------------------------------
// Mixer helpers

Vec mixer_forward(gomhc::Mixer &mixer, HostBackend &b, int64_t tokens, const Vec &logits) {
    auto lv = b.input(logits, {tokens, mixer.logit_count()});
    auto hv = b.output({tokens, mixer.d(), mixer.d()});
    mixer.forward(lv, hv);
    return b.download(hv);
}

Vec mixer_backward(gomhc::Mixer &mixer, HostBackend &b, int64_t tokens, const Vec &dh) {
    auto dhv = b.input(dh, {tokens, mixer.d(), mixer.d()});
    auto dl = b.output({tokens, mixer.logit_count()});
    mixer.backward(dhv, dl);
    return b.download(dl);
}

struct MixerCase {
    Method method;
    int d;
    int s;
};

// Every method at several sizes: specialised and generic d, s (kromhc and the
// other non-go methods ignore s, so one case passes s = 3).
std::vector<MixerCase> mixer_forward_cases() {
    return {{Method::residual, 1, 1}, {Method::hc, 2, 1},       {Method::hc, 3, 1},
            {Method::hc, 5, 1},       {Method::mhc, 2, 1},      {Method::mhc, 3, 1},
            {Method::mhc, 4, 1},      {Method::mhc, 5, 1},      {Method::mhc, 8, 1},
            {Method::mhc_lite, 2, 1}, {Method::mhc_lite, 3, 1}, {Method::mhc_lite, 4, 1},
            {Method::mhc_lite, 5, 1}, {Method::mhc_lite, 8, 1}, {Method::kromhc, 2, 1},
            {Method::kromhc, 4, 1},   {Method::kromhc, 4, 3},   {Method::kromhc, 8, 1},
            {Method::kromhc, 16, 1},  {Method::go, 2, 1},       {Method::go, 2, 2},
            {Method::go, 3, 1},       {Method::go, 3, 3},       {Method::go, 4, 2},
            {Method::go, 5, 2},       {Method::go, 8, 2},       {Method::go, 16, 2},
            {Method::go_kron, 4, 1},  {Method::go_kron, 4, 2},  {Method::go_kron, 6, 1},
            {Method::go_kron, 6, 2},  {Method::go_kron, 8, 2},  {Method::go_kron, 9, 1},
            {Method::go_kron, 12, 1}, {Method::go_kron, 16, 2}};
}

std::vector<MixerCase> mixer_backward_cases() {
    return {{Method::hc, 3, 1},       {Method::hc, 4, 1},       {Method::mhc, 2, 1},
            {Method::mhc, 3, 1},      {Method::mhc, 4, 1},      {Method::mhc, 5, 1},
            {Method::mhc_lite, 2, 1}, {Method::mhc_lite, 3, 1}, {Method::mhc_lite, 4, 1},
            {Method::kromhc, 2, 1},   {Method::kromhc, 4, 1},   {Method::kromhc, 8, 1},
            {Method::go, 2, 1},       {Method::go, 3, 1},       {Method::go, 4, 2},
            {Method::go, 3, 3},       {Method::go_kron, 4, 1},  {Method::go_kron, 4, 2},
            {Method::go_kron, 6, 1},  {Method::go_kron, 9, 1}};
}

}  // namespace

// ---------------------------------------------------------------------------
// Methods and their shapes

TEST_CASE("methods: names, parsing, logit counts") {
    const std::vector<Method> expected = {Method::residual, Method::hc,     Method::mhc,
                                          Method::mhc_lite, Method::kromhc, Method::go,
                                          Method::go_kron};
    CHECK(gomhc::all_methods() == expected);
    for (Method m : expected) {
        CHECK(gomhc::method_name(m) == name_of(m));
        CHECK(gomhc::parse_method(name_of(m)) == m);
    }
    const std::tuple<Method, int, int, int64_t> counts[] = {
        {Method::residual, 1, 1, 0},  {Method::hc, 3, 1, 9},           {Method::mhc, 5, 2, 25},
        {Method::mhc_lite, 4, 1, 24}, {Method::mhc_lite, 8, 1, 40320}, {Method::kromhc, 8, 1, 3},
        {Method::kromhc, 16, 2, 4},   {Method::go, 4, 2, 28},          {Method::go, 3, 3, 36},
        {Method::go_kron, 4, 2, 12},  {Method::go_kron, 6, 1, 4},      {Method::go_kron, 9, 2, 30}};
    for (auto [m, d, s, k] : counts) {
        INFO(describe(m, d, s, 1));
        CHECK(gomhc::residual_logit_count(m, d, s) == k);
        CHECK(gomhc::residual_logit_count(m, d, s) == ref::mixer_logit_count(to_ref(m), d, s));
        CHECK(gomhc::Mixer(m, d, s).logit_count() == k);
    }
}

TEST_CASE("methods: bad names and shapes throw gomhc::Error naming the problem") {
    // An unknown name: the message names it and lists the valid ones.
    CHECK(throws_error_naming(
        [] { gomhc::parse_method("bogus"); },
        {"bogus", "residual", "hc", "mhc", "mhc-lite", "kromhc", "go", "go-kron"}));
    CHECK(throws_error_naming([] { gomhc::parse_method(""); }, {"go-kron"}));
    CHECK(throws_error_naming([] { gomhc::parse_method("go_kron "); }, {"go-kron"}));

    struct Bad {
        Method m;
        int d, s;
        std::vector<const char *> words;
    };
    const Bad bad[] = {
        {Method::kromhc, 3, 1, {"kromhc", "d"}},
        {Method::kromhc, 6, 1, {"kromhc", "d"}},
        {Method::mhc_lite, 9, 1, {"mhc-lite", "d"}},
        {Method::residual, 2, 1, {"residual", "d"}},
        {Method::go_kron, 5, 1, {"go-kron", "d"}},
        {Method::go_kron, 7, 2, {"go-kron", "d"}},
        {Method::go_kron, 2, 1, {"go-kron", "d"}},
        {Method::go, 4, 0, {"s"}},
        {Method::hc, 3, 0, {"s"}},
        {Method::go, 33, 2, {"64"}},
        {Method::go, 0, 1, {"d"}},
    };
    for (const Bad &b : bad) {
        INFO(describe(b.m, b.d, b.s, 1));
        auto check_names = [&](auto &&fn) {
            try {
                fn();
                FAIL_CHECK("did not throw");
            } catch (const gomhc::Error &e) {
                const std::string msg = e.what();
                INFO("gomhc::Error: " << msg);
                for (const char *w : b.words) {
                    INFO("word '" << std::string(w) << "'");
                    CHECK(names(msg, w));
                }
            }
        };
        check_names([&] { gomhc::check_method_shape(b.m, b.d, b.s); });
        check_names([&] { gomhc::Mixer(b.m, b.d, b.s); });
        check_names([&] { gomhc::HyperConnection(b.m, b.d, b.s, 4, 1); });
    }
    // The argument is called c, the quantity C: either will do.
    CHECK(throws_error_naming_any([] { gomhc::HyperConnection(Method::go, 4, 2, 0, 1); },
                                  {"c", "C"}));

    const std::tuple<Method, int, int> good[] = {
        {Method::residual, 1, 1}, {Method::hc, 3, 1},      {Method::mhc, 5, 4},
        {Method::mhc_lite, 8, 1}, {Method::kromhc, 16, 1}, {Method::go, 32, 2},
        {Method::go, 7, 9},       {Method::go_kron, 4, 1}, {Method::go_kron, 9, 2}};
    for (auto [m, d, s] : good) {
        INFO(describe(m, d, s, 1));
        CHECK_NOTHROW(gomhc::check_method_shape(m, d, s));
    }
}

// ---------------------------------------------------------------------------
// Mixers

TEST_CASE("mixer forward matches the reference for every method") {
    ref::Rng rng(101);
    for (const MixerCase &mc : mixer_forward_cases()) {
        // 37 tokens: kernels that run vector lanes across tokens get full
        // blocks and a partial one.
        for (int64_t tokens : {1, 7, 37}) {
            if (mc.method == Method::mhc_lite && mc.d == 8 && tokens > 1) {
                continue;  // 40320 logits per token: one token is enough
            }
            INFO(describe(mc.method, mc.d, mc.s, tokens));
            gomhc::Mixer mixer(mc.method, mc.d, mc.s);
            CHECK(mixer.method() == mc.method);
            CHECK(mixer.d() == mc.d);
            CHECK(mixer.s() == mc.s);
            const int64_t k = ref::mixer_logit_count(to_ref(mc.method), mc.d, mc.s);
            REQUIRE(mixer.logit_count() == k);
            HostBackend b;
            const Vec logits = normal_f32(rng, tokens * k, 1.0);
            const Vec hk = mixer_forward(mixer, b, tokens, logits);
            const Vec hr = ref::mixer_forward(to_ref(mc.method), tokens, mc.d, mc.s, logits);
            CHECK(ref::all_finite(hk));
            if (mc.method == Method::hc) {
                CHECK(ref::max_abs_error(hk, hr) == 0.0);  // the logits themselves
            } else {
                CHECK(ref::normwise_error(hk, hr) <= kForwardTol);
            }
        }
    }
}

TEST_CASE("mixer backward matches finite differences of the reference") {
    ref::Rng rng(102);
    for (const MixerCase &mc : mixer_backward_cases()) {
        for (int64_t tokens : {1, 3, 37}) {
            INFO(describe(mc.method, mc.d, mc.s, tokens));
            const ref::MixerMethod rm = to_ref(mc.method);
            gomhc::Mixer mixer(mc.method, mc.d, mc.s);
            const int64_t k = mixer.logit_count();
            HostBackend b;
            const Vec logits = normal_f32(rng, tokens * k, 1.0);
            const Vec dh = normal_f32(rng, tokens * mc.d * mc.d, 1.0);
            (void)mixer_forward(mixer, b, tokens, logits);
            const Vec gk = mixer_backward(mixer, b, tokens, dh);
            // Loss sum(dh * H): its gradient with respect to H is dh.
            auto loss = [&](const Vec &l) {
                return ref::dot(dh, ref::mixer_forward(rm, tokens, mc.d, mc.s, l));
            };
            const Vec fd = ref::numeric_gradient(loss, logits, kFdStep);
            CHECK(ref::all_finite(gk));
            INFO("normwise error " << ref::normwise_error(gk, fd));
            CHECK(ref::normwise_error(gk, fd) <= kFiniteDiffTol);
            check_gradient_norm("dlogits", gk, fd);
        }
    }
}

TEST_CASE("exact mixers are doubly stochastic in float32 at logit scales 0.01, 1, 10") {
    const MixerCase cases[] = {
        {Method::go, 2, 1},       {Method::go, 4, 2},       {Method::go, 3, 3},
        {Method::go, 16, 2},      {Method::go, 8, 4},       {Method::mhc_lite, 2, 1},
        {Method::mhc_lite, 3, 1}, {Method::mhc_lite, 4, 1}, {Method::mhc_lite, 5, 1},
        {Method::kromhc, 2, 1},   {Method::kromhc, 4, 1},   {Method::kromhc, 8, 1},
        {Method::kromhc, 16, 1},  {Method::go_kron, 4, 2},  {Method::go_kron, 6, 2},
        {Method::go_kron, 9, 1},  {Method::go_kron, 16, 2}};
    ref::Rng rng(103);
    const int64_t tokens = 33;
    for (const MixerCase &mc : cases) {
        for (double sigma : {0.01, 1.0, 10.0}) {
            INFO(describe(mc.method, mc.d, mc.s, tokens) << " sigma=" << sigma);
            gomhc::Mixer mixer(mc.method, mc.d, mc.s);
            HostBackend b;
            const Vec logits = normal_f32(rng, tokens * mixer.logit_count(), sigma);
            const Vec h = mixer_forward(mixer, b, tokens, logits);
            CHECK(ref::all_finite(h));
            CHECK(ref::max_row_sum_error(tokens, mc.d, h) <= kExactTol);
            CHECK(ref::max_col_sum_error(tokens, mc.d, h) <= kExactTol);
            CHECK(ref::min_entry(h) >= 0.0);
        }
    }
}

TEST_CASE("mhc (Sinkhorn, 20 iterations) is only approximately doubly stochastic") {
    // Same kind of random logits, sigma = 10, d = 4: go is exact; Sinkhorn-20
    // normalises the columns last (exact) but leaves the rows off by far more
    // than the exactness tolerance (about 0.08 in float64 here). If the mhc
    // kernel were exact this test would fail.
    const int d = 4;
    const int64_t tokens = 64;
    ref::Rng rng(104);
    gomhc::Mixer mhc(Method::mhc, d, 1), go(Method::go, d, 1);
    HostBackend b;
    const Vec lm = normal_f32(rng, tokens * mhc.logit_count(), 10.0);
    const Vec lg = normal_f32(rng, tokens * go.logit_count(), 10.0);
    const Vec hm = mixer_forward(mhc, b, tokens, lm);
    const Vec hg = mixer_forward(go, b, tokens, lg);
    const double mhc_rows = ref::max_row_sum_error(tokens, d, hm);
    const double mhc_cols = ref::max_col_sum_error(tokens, d, hm);
    const double go_rows = ref::max_row_sum_error(tokens, d, hg);
    const double ref_rows = ref::max_row_sum_error(
        tokens, d, ref::mixer_forward(ref::MixerMethod::mhc, tokens, d, 1, lm));
    MESSAGE("sigma=10 d=4: max|row sum - 1| mhc " << mhc_rows << " (float64 reference " << ref_rows
                                                  << "), go " << go_rows << "; mhc columns "
                                                  << mhc_cols);
    CHECK(ref::all_finite(hm));
    CHECK(ref::min_entry(hm) >= 0.0);
    CHECK(go_rows <= kExactTol);
    CHECK(mhc_rows > 1e-3);
    CHECK(mhc_rows > 100 * go_rows);
    CHECK(mhc_rows == doctest::Approx(ref_rows).epsilon(0.01));
    // Columns: exact up to float32 rounding (about 5e-7 for a float32 log-domain
    // Sinkhorn on these logits).
    CHECK(mhc_cols <= kExactTol);
}

TEST_CASE("mixer: residual, and s is ignored by the methods other than go and go-kron") {
    HostBackend b;
    gomhc::Mixer residual(Method::residual, 1, 1);
    CHECK(residual.logit_count() == 0);
    CHECK(mixer_forward(residual, b, 3, Vec{}) == Vec{1, 1, 1});

    ref::Rng rng(105);
    for (Method m : {Method::hc, Method::mhc, Method::mhc_lite, Method::kromhc}) {
        INFO(name_of(m));
        gomhc::Mixer m1(m, 4, 1), m3(m, 4, 3);
        REQUIRE(m1.logit_count() == m3.logit_count());
        const Vec l = normal_f32(rng, 2 * m1.logit_count(), 1.0);
        CHECK(mixer_forward(m1, b, 2, l) == mixer_forward(m3, b, 2, l));
    }
}

TEST_CASE("mixer: call order, T and shapes are checked") {
    const int d = 4, s = 2;
    const int64_t tokens = 3;
    gomhc::Mixer mixer(Method::go, d, s);
    const int64_t k = mixer.logit_count();
    HostBackend b;
    ref::Rng rng(106);
    const Vec logits = normal_f32(rng, tokens * k, 1.0);
    const Vec dh = normal_f32(rng, tokens * d * d, 1.0);
    auto lv = b.input(logits, {tokens, k});
    auto hv = b.output({tokens, d, d});
    auto dhv = b.input(dh, {tokens, d, d});
    auto dlv = b.output({tokens, k});

    CHECK(throws_error_naming([&] { mixer.backward(dhv, dlv); }, {"forward"}));

    CHECK(throws_error_naming(
        [&] {
            mixer.forward(b.input(Vec(size_t(tokens * (k + 1))), {tokens, k + 1}), hv);
        },
        {"logits"}));
    CHECK(throws_error_naming([&] { mixer.forward(lv, b.output({tokens, d, d + 1})); }, {"h_res"}));
    CHECK(throws_error_naming([&] { mixer.forward(lv, b.output({tokens + 1, d, d})); }, {"h_res"}));
    CHECK_NOTHROW(mixer.forward(lv, hv));
    CHECK(throws_error_naming(
        [&] {
            mixer.backward(b.input(Vec(size_t(tokens * (d + 1) * d)), {tokens, d + 1, d}), dlv);
        },
        {"dh_res"}));
    CHECK(throws_error_naming(
        [&] {
            mixer.backward(dhv, b.output({tokens, k - 1}));
        },
        {"dlogits"}));
    // Another T than the last forward's.
    CHECK(throws_error_naming_any(
        [&] {
            mixer.backward(b.input(Vec(size_t((tokens - 1) * d * d)), {tokens - 1, d, d}),
                           b.output({tokens - 1, k}));
        },
        {"T", "tokens"}));
    CHECK_NOTHROW(mixer.backward(dhv, dlv));
}

// ---------------------------------------------------------------------------
// The layer: forward and gradients

TEST_CASE("layer forward matches the reference for every method") {
    const LayerCase cases[] = {{Method::residual, 1, 1, 7, 1}, {Method::residual, 1, 1, 7, 5},
                               {Method::hc, 5, 1, 7, 5},       {Method::hc, 4, 1, 1, 1},
                               {Method::mhc, 5, 1, 7, 5},      {Method::mhc, 4, 1, 16, 1},
                               {Method::mhc_lite, 5, 1, 7, 5}, {Method::mhc_lite, 2, 1, 3, 1},
                               {Method::kromhc, 8, 1, 7, 5},   {Method::kromhc, 2, 1, 16, 1},
                               {Method::go, 5, 2, 7, 5},       {Method::go, 4, 2, 16, 1},
                               {Method::go, 3, 3, 1, 5},       {Method::go_kron, 6, 2, 7, 5},
                               {Method::go_kron, 9, 1, 7, 1},  {Method::go_kron, 4, 2, 16, 5}};
    for (const LayerCase &lc : cases) {
        for (bool f_is_y : {false, true}) {
            INFO(describe(lc) << (f_is_y ? " f=y" : " f independent"));
            LayerFixture fx(lc, 201);
            CHECK(fx.layer.method() == lc.method);
            CHECK(fx.layer.d() == lc.d);
            CHECK(fx.layer.s() == lc.s);
            CHECK(fx.layer.c() == lc.c);
            CHECK(fx.layer.device() == gomhc::Device::host);
            CHECK(fx.layer.coefficient_count() == ref::layer_coefficient_count(fx.shape));
            const LayerRun k =
                run_layer(fx.layer, lc.tokens, fx.x, f_is_y ? nullptr : &fx.f, fx.g_next, fx.g_y);
            const ref::LayerForward r =
                f_is_y ? ref::layer_forward_identity(fx.shape, lc.tokens, fx.params, fx.x)
                       : ref::layer_forward(fx.shape, lc.tokens, fx.params, fx.x, fx.f);
            check_layer_forward(r, k);
        }
    }
}

TEST_CASE("layer gradients match finite differences, f an independent input") {
    // L = <G, x_next> + <G_y, y>: post_backward(dx_next = G), pre_backward(dy = G_y).
    for (const LayerCase &lc : layer_gradient_cases()) {
        INFO(describe(lc));
        LayerFixture fx(lc, 301);
        const int64_t t = lc.tokens;
        const LayerRun k = run_layer(fx.layer, t, fx.x, &fx.f, fx.g_next, fx.g_y);
        check_layer_forward(ref::layer_forward(fx.shape, t, fx.params, fx.x, fx.f), k);

        auto loss = [&](const Vec &p, const Vec &x, const Vec &f) {
            return ref::layer_loss(fx.shape, t, p, x, f, fx.g_next, fx.g_y);
        };
        const Vec fd_x = ref::numeric_gradient(
            [&](const Vec &v) { return loss(fx.params, v, fx.f); }, fx.x, kFdStep);
        const Vec fd_f = ref::numeric_gradient(
            [&](const Vec &v) { return loss(fx.params, fx.x, v); }, fx.f, kFdStep);
        check_gradient("dx", k.dx, fd_x, ref::max_abs(fd_x));
        check_gradient_norm("dx", k.dx, fd_x);
        check_gradient("df", k.df, fd_f, ref::max_abs(fd_f));
        if (!fx.params.empty()) {
            const Vec fd_p = ref::numeric_gradient(
                [&](const Vec &v) { return loss(v, fx.x, fx.f); }, fx.params, kFdStep);
            check_param_gradients(fx.shape, k.grads, fd_p);
        } else {
            CHECK(fx.layer.num_params() == 0);
        }
    }
}

TEST_CASE("layer gradients match finite differences, F = identity (f = y, dy = df)") {
    // L = <G, x_next(f = y)>; the trainer passes df back through F, here the
    // identity, so pre_backward gets dy = df.
    for (const LayerCase &lc : layer_gradient_cases()) {
        INFO(describe(lc));
        LayerFixture fx(lc, 401);
        const int64_t t = lc.tokens;
        const LayerRun k = run_layer(fx.layer, t, fx.x, nullptr, fx.g_next, Vec{});
        const ref::LayerForward r = ref::layer_forward_identity(fx.shape, t, fx.params, fx.x);
        check_layer_forward(r, k);

        auto loss = [&](const Vec &p, const Vec &x) {
            return ref::layer_loss_identity(fx.shape, t, p, x, fx.g_next);
        };
        const Vec fd_x =
            ref::numeric_gradient([&](const Vec &v) { return loss(fx.params, v); }, fx.x, kFdStep);
        check_gradient("dx", k.dx, fd_x, ref::max_abs(fd_x));
        check_gradient_norm("dx", k.dx, fd_x);
        // df is dL/df at f = y with y held fixed.
        const Vec fd_f = ref::numeric_gradient(
            [&](const Vec &v) {
                return ref::layer_loss(fx.shape, t, fx.params, fx.x, v, fx.g_next, Vec{});
            },
            r.y, kFdStep);
        check_gradient("df", k.df, fd_f, ref::max_abs(fd_f));
        if (!fx.params.empty()) {
            const Vec fd_p = ref::numeric_gradient([&](const Vec &v) { return loss(v, fx.x); },
                                                   fx.params, kFdStep);
            check_param_gradients(fx.shape, k.grads, fd_p);
        }
    }
}

// ---------------------------------------------------------------------------
// The layer: API contract

TEST_CASE("layer: zero_grads, gradient accumulation, dx accumulation, dx/df overwrite") {
    for (const LayerCase &lc :
         {LayerCase{Method::go, 4, 2, 5, 3}, LayerCase{Method::mhc, 3, 1, 4, 2},
          LayerCase{Method::residual, 1, 1, 4, 2}}) {
        INFO(describe(lc));
        LayerFixture fx(lc, 501);
        auto &layer = fx.layer;
        const int64_t t = lc.tokens, d = lc.d, c = lc.c;
        HostBackend b;
        auto xv = b.input(fx.x, {t, d, c});
        auto fv = b.input(fx.f, {t, c});
        auto gv = b.input(fx.g_next, {t, d, c});
        auto dyv = b.input(fx.g_y, {t, c});
        auto yv = b.output({t, c});
        auto xnv = b.output({t, d, c});
        auto dxv = b.output({t, d, c});
        auto dfv = b.output({t, c});
        float *dx = const_cast<float *>(dxv.data());
        float *df = const_cast<float *>(dfv.data());
        const size_t dx_n = size_t(t * d * c), df_n = size_t(t * c);
        const int64_t np = layer.num_params();

        // One step from zeroed gradients; dx and df start as NaN, so any
        // accumulation into them instead of an overwrite shows.
        layer.zero_grads();
        CHECK(ref::max_abs(layer_grads(layer)) == 0.0);
        layer.pre(xv, yv);
        layer.post(xv, fv, xnv);
        layer.post_backward(gv, dxv, dfv);
        const Vec dx_post(dx, dx + dx_n), df1(df, df + df_n);
        CHECK(ref::all_finite(dx_post));
        CHECK(ref::all_finite(df1));
        layer.pre_backward(dyv, dxv);
        const Vec dx_total(dx, dx + dx_n);
        const Vec g1 = layer_grads(layer);
        if (np > 0) {
            CHECK(ref::max_abs(g1) > 0.0);
        }

        // A second step without zero_grads: the gradients double. dx and df
        // (now holding the first step's values) are overwritten by post_backward.
        std::fill(df, df + df_n, -777.0f);
        layer.pre(xv, yv);
        layer.post(xv, fv, xnv);
        layer.post_backward(gv, dxv, dfv);
        CHECK(Vec(dx, dx + dx_n) == dx_post);
        CHECK(Vec(df, df + df_n) == df1);
        // pre_backward adds into dx: starting from zero it gives the y path
        // alone, which added to post_backward's dx is the total of step one.
        std::fill(dx, dx + dx_n, 0.0f);
        layer.pre_backward(dyv, dxv);
        const Vec dx_pre(dx, dx + dx_n);
        Vec sum(dx_n);
        for (size_t i = 0; i < dx_n; ++i) {
            sum[i] = double(float(dx_post[i] + dx_pre[i]));
        }
        CHECK(ref::max_abs_error(sum, dx_total) <= 1e-6 * ref::max_abs(dx_total));
        CHECK(ref::max_abs(dx_pre) > 0.0);
        const Vec g2 = layer_grads(layer);
        Vec twice = g1;
        for (double &v : twice) {
            v *= 2.0;
        }
        CHECK(ref::max_abs_error(g2, twice) <= 1e-6 * ref::max_abs(twice));

        layer.zero_grads();
        CHECK(ref::max_abs(layer_grads(layer)) == 0.0);
        CHECK(layer_params(layer) == fx.params);  // backward never touches params
    }
}

TEST_CASE("layer: calls out of order or with another T throw gomhc::Error") {
    const int d = 4, s = 2;
    const int64_t c = 5, t = 3;
    ref::Rng rng(601);
    HostBackend b;
    const Vec x = normal_f32(rng, t * d * c, 1.0), f = normal_f32(rng, t * c, 1.0);
    auto xv = b.input(x, {t, d, c});
    auto fv = b.input(f, {t, c});
    auto gv = b.input(normal_f32(rng, t * d * c, 1.0), {t, d, c});
    auto dyv = b.input(normal_f32(rng, t * c, 1.0), {t, c});
    auto yv = b.output({t, c});
    auto xnv = b.output({t, d, c});
    auto dxv = b.output({t, d, c});
    auto dfv = b.output({t, c});
    // The same with T - 1 tokens.
    auto x2 = b.input(normal_f32(rng, (t - 1) * d * c, 1.0), {t - 1, d, c});
    auto f2 = b.input(normal_f32(rng, (t - 1) * c, 1.0), {t - 1, c});
    auto g2 = b.input(normal_f32(rng, (t - 1) * d * c, 1.0), {t - 1, d, c});
    auto dy2 = b.input(normal_f32(rng, (t - 1) * c, 1.0), {t - 1, c});
    auto xn2 = b.output({t - 1, d, c});
    auto dx2 = b.output({t - 1, d, c});
    auto df2 = b.output({t - 1, c});

    gomhc::HyperConnection layer(Method::go, d, s, c, 7);
    // Nothing yet.
    CHECK(throws_error_naming([&] { layer.post(xv, fv, xnv); }, {"pre"}));
    CHECK(throws_error_naming([&] { layer.post_backward(gv, dxv, dfv); }, {"post"}));
    CHECK(throws_error_naming([&] { layer.pre_backward(dyv, dxv); }, {"post_backward"}));
    // After pre only.
    layer.pre(xv, yv);
    CHECK(throws_error_naming([&] { layer.post_backward(gv, dxv, dfv); }, {"post"}));
    CHECK(throws_error_naming([&] { layer.pre_backward(dyv, dxv); }, {"post_backward"}));
    CHECK(throws_error_naming_any([&] { layer.post(x2, f2, xn2); }, {"T", "tokens"}));
    // After pre, post.
    CHECK_NOTHROW(layer.post(xv, fv, xnv));
    CHECK(throws_error_naming([&] { layer.pre_backward(dyv, dxv); }, {"post_backward"}));
    CHECK(throws_error_naming_any([&] { layer.post_backward(g2, dx2, df2); }, {"T", "tokens"}));
    // After post_backward.
    CHECK_NOTHROW(layer.post_backward(gv, dxv, dfv));
    CHECK(throws_error_naming_any([&] { layer.pre_backward(dy2, dx2); }, {"T", "tokens"}));
    CHECK_NOTHROW(layer.pre_backward(dyv, dxv));
    // Forward-only use repeats pre, post; a new pre starts over at any T.
    for (int i = 0; i < 2; ++i) {
        CHECK_NOTHROW(layer.pre(xv, yv));
        CHECK_NOTHROW(layer.post(xv, fv, xnv));
    }
    auto y2 = b.output({t - 1, c});
    CHECK_NOTHROW(layer.pre(x2, y2));
    CHECK_NOTHROW(layer.post(x2, f2, xn2));
    CHECK(throws_error_naming_any([&] { layer.post_backward(gv, dxv, dfv); }, {"T", "tokens"}));
    CHECK_NOTHROW(layer.post_backward(g2, dx2, df2));
    CHECK_NOTHROW(layer.pre_backward(dy2, dx2));
}

TEST_CASE("layer: wrong shapes throw gomhc::Error naming the argument") {
    const int d = 3, s = 2;
    const int64_t c = 4, t = 2;
    ref::Rng rng(701);
    HostBackend b;
    auto in = [&](Shape shape) {
        return b.input(normal_f32(rng, gomhc_test::element_count(shape), 1.0), shape);
    };
    auto xv = in({t, d, c});
    auto fv = in({t, c});
    auto gv = in({t, d, c});
    auto dyv = in({t, c});
    auto yv = b.output({t, c});
    auto xnv = b.output({t, d, c});
    auto dxv = b.output({t, d, c});
    auto dfv = b.output({t, c});
    gomhc::HyperConnection layer(Method::go, d, s, c, 3);

    CHECK(throws_error_naming([&] { layer.pre(in({t, d + 1, c}), yv); }, {"x"}));
    CHECK(throws_error_naming([&] { layer.pre(in({t, d, c + 1}), yv); }, {"x"}));
    CHECK(throws_error_naming([&] { layer.pre(in({t * d * c}), yv); }, {"x"}));
    CHECK(throws_error_naming([&] { layer.pre(xv, b.output({t, c + 1})); }, {"y"}));
    CHECK(throws_error_naming([&] { layer.pre(xv, b.output({t + 1, c})); }, {"y"}));
    CHECK_NOTHROW(layer.pre(xv, yv));

    CHECK(throws_error_naming([&] { layer.post(in({t, d, c + 1}), fv, xnv); }, {"x"}));
    CHECK(throws_error_naming([&] { layer.post(xv, in({t, c + 1}), xnv); }, {"f"}));
    CHECK(throws_error_naming([&] { layer.post(xv, in({t, 1, c}), xnv); }, {"f"}));
    CHECK(throws_error_naming([&] { layer.post(xv, fv, b.output({t, d, c - 1})); }, {"x_next"}));
    CHECK(throws_error_naming([&] { layer.post(xv, fv, b.output({t, d - 1, c})); }, {"x_next"}));
    CHECK_NOTHROW(layer.post(xv, fv, xnv));

    CHECK(throws_error_naming(
        [&] {
            layer.post_backward(in({t, d, c + 1}), dxv, dfv);
        },
        {"dx_next"}));
    CHECK(throws_error_naming(
        [&] {
            layer.post_backward(gv, b.output({t, d + 1, c}), dfv);
        },
        {"dx"}));
    CHECK(throws_error_naming([&] { layer.post_backward(gv, dxv, b.output({t, c + 1})); }, {"df"}));
    CHECK_NOTHROW(layer.post_backward(gv, dxv, dfv));

    CHECK(throws_error_naming([&] { layer.pre_backward(in({t, c + 1}), dxv); }, {"dy"}));
    CHECK(throws_error_naming([&] { layer.pre_backward(dyv, b.output({t, d, c + 1})); }, {"dx"}));
    CHECK_NOTHROW(layer.pre_backward(dyv, dxv));
}

// docs/math.md section 3.1: b_pre and b_post on the home stream and on the
// others. hc starts as Hyper-Connections does (H_pre 0.95 / 0.05 through
// its sigmoid, H_post = 1); the mHC family as the mHC-lite/KromHC code,
// +1 / -1 for both gates.
std::array<double, 4> documented_gates(Method m) {
    if (m == Method::hc) {
        const double logit = std::log(0.95 / 0.05);
        return {logit, -logit, 0.0, 0.0};
    }
    return {1.0, -1.0, 1.0, -1.0};
}

TEST_CASE("layer: seeded initialisation with the documented values") {
    const std::tuple<Method, int, int> cases[] = {
        {Method::hc, 4, 1}, {Method::mhc, 3, 1}, {Method::mhc_lite, 4, 1}, {Method::kromhc, 8, 1},
        {Method::go, 4, 2}, {Method::go, 5, 1},  {Method::go_kron, 6, 2}};
    const int64_t c = 16;
    for (auto [m, d, s] : cases) {
        INFO(describe(m, d, s, 0));
        const ref::LayerShape shape = ref_shape(m, d, s, c);
        const auto lay = ref::layer_param_layout(shape);
        gomhc::HyperConnection l1(m, d, s, c, 42), l2(m, d, s, c, 42), l3(m, d, s, c, 43);
        REQUIRE(l1.num_params() == lay.count);
        CHECK(l1.coefficient_count() == lay.k);
        const Vec p1 = layer_params(l1), p2 = layer_params(l2), p3 = layer_params(l3);
        CHECK(std::memcmp(l1.params(), l2.params(), sizeof(float) * size_t(lay.count)) == 0);
        CHECK(slice(p1, lay.w, lay.b) != slice(p3, lay.w, lay.b));  // W depends on the seed

        // a = 0.01
        CHECK(p1[size_t(lay.a_pre)] == double(0.01f));
        CHECK(p1[size_t(lay.a_post)] == double(0.01f));
        CHECK(p1[size_t(lay.a_res)] == double(0.01f));
        // The home stream (index 0 by default, index mod d otherwise): b_pre
        // and b_post favour it (docs/math.md section 3.1).
        const auto [pre_home, pre_other, post_home, post_other] = documented_gates(m);
        gomhc::HyperConnection at7(m, d, s, c, 42, gomhc::Device::host, {7, false});
        CHECK(l1.home_stream() == 0);
        CHECK(at7.home_stream() == 7 % d);
        const Vec p7 = layer_params(at7);
        for (int j = 0; j < d; ++j) {
            CHECK(p1[size_t(lay.b + j)] == doctest::Approx(j == 0 ? pre_home : pre_other));
            CHECK(p1[size_t(lay.b + d + j)] == doctest::Approx(j == 0 ? post_home : post_other));
            const bool home = j == 7 % d;
            CHECK(p7[size_t(lay.b + j)] == doctest::Approx(home ? pre_home : pre_other));
            CHECK(p7[size_t(lay.b + d + j)] == doctest::Approx(home ? post_home : post_other));
        }
        // The symmetric start: b_pre = logit(1/d) (H_pre = 1/d), b_post = 0
        // (H_post = 1), everything else as the home start.
        gomhc::HyperConnection sym(m, d, s, c, 42, gomhc::Device::host, {0, true});
        CHECK(sym.home_stream() == -1);
        const Vec ps = layer_params(sym);
        CHECK(slice(ps, lay.w, lay.b) == slice(p1, lay.w, lay.b));
        for (int j = 0; j < d; ++j) {
            const double bp = ps[size_t(lay.b + j)];
            CHECK(1.0 / (1.0 + std::exp(-bp)) == doctest::Approx(1.0 / d).epsilon(1e-6));
            CHECK(ps[size_t(lay.b + d + j)] == 0.0);
        }
        // b_res: the documented starting point of the residual logits.
        const Vec b_res = slice(p1, lay.b + 2 * d, lay.b + lay.k);
        CHECK(int64_t(b_res.size()) == gomhc::residual_logit_count(m, d, s));
        const std::vector<float> init = gomhc::initial_residual_logits(m, d, s, 42);
        CHECK(init.size() == b_res.size());

        // The coefficients at init (the symmetric start): with a = 0 exactly
        // the static values.
        set_layer_params(l1, ps);
        set_layer_params(l2, ps);
        HostBackend b;
        ref::Rng rng(801);
        const Vec x = normal_f32(rng, 2 * d * c, 1.0);
        auto xv = b.input(x, {2, d, c});
        auto yv = b.output({2, c});
        l1.pre(xv, yv);
        // a = 0.01: close to the static part.
        for (double h : b.download(l1.h_pre())) {
            CHECK(h == doctest::Approx(1.0 / d).epsilon(0.1));
        }
        Vec p0 = ps;
        p0[size_t(lay.a_pre)] = p0[size_t(lay.a_post)] = p0[size_t(lay.a_res)] = 0.0;
        set_layer_params(l2, p0);
        l2.pre(xv, yv);
        auto fv = b.input(normal_f32(rng, 2 * c, 1.0), {2, c});
        auto xnv = b.output({2, d, c});
        l2.post(xv, fv, xnv);
        for (double h : b.download(l2.h_pre())) {
            CHECK(std::fabs(h - 1.0 / d) <= 1e-6);
        }
        for (double h : b.download(l2.h_post())) {
            CHECK(std::fabs(h - 1.0) <= 1e-6);
        }
        const Vec static_h_res = ref::mixer_forward(to_ref(m), 1, d, s, ref::round_to_float(b_res));
        const Vec h_res = b.download(l2.h_res());
        for (int tok = 0; tok < 2; ++tok) {
            CHECK(ref::max_abs_error(slice(h_res, tok * d * d, (tok + 1) * d * d), static_h_res) <=
                  1e-5);
        }
    }

    // W ~ N(0, 1/(d*C)): sample moments over 36 x 256 entries.
    gomhc::HyperConnection big(Method::go, 4, 2, 64, 5);
    const auto lay = ref::layer_param_layout(ref_shape(Method::go, 4, 2, 64));
    const Vec w = slice(layer_params(big), lay.w, lay.b);
    double mean = 0.0, sq = 0.0;
    for (double v : w) {
        mean += v;
        sq += v * v;
    }
    mean /= double(w.size());
    const double sd = std::sqrt(sq / double(w.size()) - mean * mean);
    CHECK(std::fabs(mean) <= 0.005);
    CHECK(sd == doctest::Approx(1.0 / 16.0).epsilon(0.05));

    // d = 1: H_pre = min(1/d, 1/2) = 1/2, so the symmetric b_pre = 0.
    gomhc::HyperConnection one(Method::hc, 1, 1, 4, 1, gomhc::Device::host, {0, true});
    const auto lay1 = ref::layer_param_layout(ref_shape(Method::hc, 1, 1, 4));
    CHECK(layer_params(one)[size_t(lay1.b)] == 0.0);

    // The residual layer has no parameters.
    gomhc::HyperConnection residual(Method::residual, 1, 1, 4, 1);
    CHECK(residual.num_params() == 0);
    CHECK(residual.coefficient_count() == 0);
    CHECK_NOTHROW(residual.zero_grads());
}

TEST_CASE("initial_residual_logits: seeded, near the documented starting points") {
    const auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    const std::tuple<Method, int, int> cases[] = {
        {Method::hc, 3, 1},     {Method::hc, 4, 1},       {Method::mhc, 4, 1},
        {Method::mhc, 5, 1},    {Method::mhc_lite, 3, 1}, {Method::mhc_lite, 4, 1},
        {Method::kromhc, 2, 1}, {Method::kromhc, 16, 1},  {Method::go, 4, 2},
        {Method::go, 8, 2},     {Method::go_kron, 4, 3},  {Method::go_kron, 12, 2}};
    for (auto [m, d, s] : cases) {
        INFO(describe(m, d, s, 0));
        const std::vector<float> a = gomhc::initial_residual_logits(m, d, s, 11);
        const std::vector<float> b = gomhc::initial_residual_logits(m, d, s, 11);
        const std::vector<float> other = gomhc::initial_residual_logits(m, d, s, 12);
        REQUIRE(int64_t(a.size()) == gomhc::residual_logit_count(m, d, s));
        CHECK(a == b);
        CHECK(a != other);
        const Vec l(a.begin(), a.end());
        // The documented centre of each method; the N(0, 0.01^2) noise stays
        // well inside 0.05 (5 sigma) and is not zero (near, not at, the centre).
        Vec centre(l.size(), 0.0);
        switch (m) {
            case Method::hc:
                for (int i = 0; i < d; ++i) {
                    centre[size_t(i * d + i)] = 1.0;
                }
                break;
            case Method::mhc:
                for (int i = 0; i < d; ++i) {
                    for (int j = 0; j < d; ++j) {
                        centre[size_t(i * d + j)] = i == j ? 0.0 : -4.0;
                    }
                }
                break;
            case Method::mhc_lite: {
                // softmax weight 0.95 on the identity (the first permutation)
                double z = 0.0;
                for (double v : l) {
                    z += std::exp(v);
                }
                CHECK(std::exp(l[0]) / z == doctest::Approx(0.95).epsilon(0.01));
                centre = l;  // the weight check above is the documented property
                break;
            }
            case Method::kromhc:
                for (double &v : centre) {
                    v = std::log(0.95 / 0.05);
                }
                for (double v : l) {
                    CHECK(sigmoid(v) == doctest::Approx(0.95).epsilon(0.005));
                }
                break;
            default:  // go, go-kron: N(0, 0.1^2)
                break;
        }
        if (m == Method::go || m == Method::go_kron) {
            CHECK(ref::max_abs(l) <= 0.5);
            CHECK(ref::max_abs(l) > 0.0);
            double sq = 0.0;
            for (double v : l) {
                sq += v * v;
            }
            const double sd = std::sqrt(sq / double(l.size()));
            CHECK(sd >= 0.05);
            CHECK(sd <= 0.2);
        } else if (m != Method::mhc_lite) {
            CHECK(ref::max_abs_error(l, centre) <= 0.05);
            CHECK(ref::max_abs_error(l, centre) > 0.0);
        }
        // The constrained mixers that start near the identity have a dominant
        // diagonal there (go and go-kron start at a random point near it
        // instead, whose diagonal depends on n).
        if (m == Method::mhc || m == Method::mhc_lite || m == Method::kromhc) {
            const Vec h = ref::mixer_forward(to_ref(m), 1, d, s, l);
            for (int i = 0; i < d; ++i) {
                CHECK(h[size_t(i * d + i)] >= 0.5);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The C layer API

namespace {

constexpr float kSentinel = 12345.0f;

bool untouched(const std::vector<float> &v) {
    return std::all_of(v.begin(), v.end(), [](float e) { return e == kSentinel; });
}

// rc is GOMHC_INVALID_ARGUMENT with a message; if words is not empty, the
// message names one of them.
void check_c_failure(int rc, const std::vector<const char *> &words) {
    const std::string msg = gomhc_last_error();
    INFO("rc = " << rc << ", gomhc_last_error(): \"" << msg << "\"");
    CHECK(rc == GOMHC_INVALID_ARGUMENT);
    CHECK_FALSE(msg.empty());
    if (words.size() > 0) {
        bool any = false;
        for (const char *w : words) {
            any = any || names(msg, w);
        }
        CHECK(any);
    }
}

}  // namespace

TEST_CASE("C layer API: gomhc_layer_create rejects bad arguments") {
    static char sentinel_storage;
    gomhc_layer *const sentinel = reinterpret_cast<gomhc_layer *>(&sentinel_storage);
    struct Case {
        const char *method;
        int d, s;
        int64_t c;
        bool null_out;
        std::vector<const char *> words;
    };
    const Case cases[] = {
        {nullptr, 4, 2, 5, false, {"method"}},
        {"go", 4, 2, 5, true, {"out"}},
        {"bogus", 4, 2, 5, false, {"bogus", "method"}},
        {"go", 0, 2, 5, false, {"d"}},
        {"go", -1, 2, 5, false, {"d"}},
        {"go", 4, 0, 5, false, {"s"}},
        {"go", 4, 2, 0, false, {"c"}},
        {"go", 4, 2, -3, false, {"c"}},
        {"go", 33, 2, 5, false, {"64"}},
        {"kromhc", 3, 1, 5, false, {"kromhc", "d"}},
        {"mhc-lite", 9, 1, 5, false, {"mhc-lite", "d"}},
        {"residual", 2, 1, 5, false, {"residual", "d"}},
        {"go-kron", 5, 1, 5, false, {"go-kron", "d"}},
    };
    for (const Case &cs : cases) {
        INFO("gomhc_layer_create(" << (cs.method ? cs.method : "NULL") << ", d=" << cs.d
                                   << ", s=" << cs.s << ", c=" << cs.c
                                   << (cs.null_out ? ", out=NULL" : "") << ")");
        gomhc_layer *out = sentinel;
        const int rc =
            gomhc_layer_create(cs.method, cs.d, cs.s, cs.c, 1, cs.null_out ? nullptr : &out);
        check_c_failure(rc, cs.words);
        // No layer on failure: *out is left alone or set to NULL, never to
        // anything else.
        CHECK((out == sentinel || out == nullptr));
    }
    CLayer ok;
    CHECK(gomhc_layer_create("go-kron", 4, 2, 5, 1, &ok.p) == GOMHC_OK);
    CHECK(ok.p != nullptr);
}

TEST_CASE("C layer API: every call rejects bad arguments and calls out of order") {
    const int d = 3, s = 2;
    const int64_t c = 4, t = 2;
    CLayer layer;
    REQUIRE(gomhc_layer_create("go", d, s, c, 5, &layer.p) == GOMHC_OK);
    ref::Rng rng(901);
    const std::vector<float> x = ref::to_float(normal_f32(rng, t * d * c, 1.0));
    const std::vector<float> f = ref::to_float(normal_f32(rng, t * c, 1.0));
    const std::vector<float> g = ref::to_float(normal_f32(rng, t * d * c, 1.0));
    const std::vector<float> dy = ref::to_float(normal_f32(rng, t * c, 1.0));
    // Outputs sized for T + 1, so a call that ignores the token check cannot
    // write out of bounds.
    std::vector<float> y(size_t((t + 1) * c), kSentinel), xn(size_t((t + 1) * d * c), kSentinel),
        dx(size_t((t + 1) * d * c), kSentinel), df(size_t((t + 1) * c), kSentinel);
    std::vector<float> x_big(size_t((t + 1) * d * c), 0.5f), f_big(size_t((t + 1) * c), 0.5f);

    // Lifecycle functions on NULL.
    CHECK(gomhc_layer_params(nullptr) == nullptr);
    CHECK(gomhc_layer_grads(nullptr) == nullptr);
    CHECK(gomhc_layer_num_params(nullptr) <= 0);
    check_c_failure(gomhc_layer_zero_grads(nullptr), {"layer"});
    gomhc_layer_destroy(nullptr);  // a no-op, like free(NULL)

    // Out of order on a fresh layer.
    check_c_failure(gomhc_layer_post(layer.p, t, x.data(), f.data(), xn.data()), {"order"});
    CHECK(untouched(xn));
    check_c_failure(gomhc_layer_post_backward(layer.p, t, g.data(), dx.data(), df.data()),
                    {"order"});
    check_c_failure(gomhc_layer_pre_backward(layer.p, t, dy.data(), dx.data()), {"order"});
    CHECK(untouched(dx));
    CHECK(untouched(df));

    // pre
    check_c_failure(gomhc_layer_pre(nullptr, t, x.data(), y.data()), {"layer"});
    check_c_failure(gomhc_layer_pre(layer.p, 0, x.data(), y.data()), {"tokens"});
    check_c_failure(gomhc_layer_pre(layer.p, -1, x.data(), y.data()), {"tokens"});
    check_c_failure(gomhc_layer_pre(layer.p, t, nullptr, y.data()), {"x"});
    check_c_failure(gomhc_layer_pre(layer.p, t, x.data(), nullptr), {"y"});
    CHECK(untouched(y));
    REQUIRE(gomhc_layer_pre(layer.p, t, x.data(), y.data()) == GOMHC_OK);

    // post
    check_c_failure(gomhc_layer_post_backward(layer.p, t, g.data(), dx.data(), df.data()),
                    {"order"});
    check_c_failure(gomhc_layer_post(nullptr, t, x.data(), f.data(), xn.data()), {"layer"});
    check_c_failure(gomhc_layer_post(layer.p, 0, x.data(), f.data(), xn.data()), {"tokens"});
    check_c_failure(gomhc_layer_post(layer.p, t + 1, x_big.data(), f_big.data(), xn.data()),
                    {"tokens"});
    check_c_failure(gomhc_layer_post(layer.p, t, nullptr, f.data(), xn.data()), {"x"});
    check_c_failure(gomhc_layer_post(layer.p, t, x.data(), nullptr, xn.data()), {"f"});
    check_c_failure(gomhc_layer_post(layer.p, t, x.data(), f.data(), nullptr), {"x_next"});
    CHECK(untouched(xn));
    REQUIRE(gomhc_layer_post(layer.p, t, x.data(), f.data(), xn.data()) == GOMHC_OK);

    // post_backward
    check_c_failure(gomhc_layer_pre_backward(layer.p, t, dy.data(), dx.data()), {"order"});
    check_c_failure(gomhc_layer_post_backward(nullptr, t, g.data(), dx.data(), df.data()),
                    {"layer"});
    check_c_failure(gomhc_layer_post_backward(layer.p, 0, g.data(), dx.data(), df.data()),
                    {"tokens"});
    check_c_failure(gomhc_layer_post_backward(layer.p, t + 1, x_big.data(), dx.data(), df.data()),
                    {"tokens"});
    check_c_failure(gomhc_layer_post_backward(layer.p, t, nullptr, dx.data(), df.data()),
                    {"dx_next"});
    check_c_failure(gomhc_layer_post_backward(layer.p, t, g.data(), nullptr, df.data()), {"dx"});
    check_c_failure(gomhc_layer_post_backward(layer.p, t, g.data(), dx.data(), nullptr), {"df"});
    CHECK(untouched(dx));
    CHECK(untouched(df));
    REQUIRE(gomhc_layer_post_backward(layer.p, t, g.data(), dx.data(), df.data()) == GOMHC_OK);

    // pre_backward: dx is accumulated into, so "writes nothing" means unchanged.
    const std::vector<float> dx_before = dx;
    check_c_failure(gomhc_layer_pre_backward(nullptr, t, dy.data(), dx.data()), {"layer"});
    check_c_failure(gomhc_layer_pre_backward(layer.p, 0, dy.data(), dx.data()), {"tokens"});
    check_c_failure(gomhc_layer_pre_backward(layer.p, t + 1, f_big.data(), dx.data()), {"tokens"});
    check_c_failure(gomhc_layer_pre_backward(layer.p, t, nullptr, dx.data()), {"dy"});
    check_c_failure(gomhc_layer_pre_backward(layer.p, t, dy.data(), nullptr), {"dx"});
    CHECK(dx == dx_before);
    REQUIRE(gomhc_layer_pre_backward(layer.p, t, dy.data(), dx.data()) == GOMHC_OK);

    // zero_grads
    const int64_t np = gomhc_layer_num_params(layer.p);
    REQUIRE(np > 0);
    const float *grads = gomhc_layer_grads(layer.p);
    REQUIRE(grads != nullptr);
    CHECK(std::any_of(grads, grads + np, [](float v) { return v != 0.0f; }));
    CHECK(gomhc_layer_zero_grads(layer.p) == GOMHC_OK);
    CHECK(std::all_of(grads, grads + np, [](float v) { return v == 0.0f; }));
}

TEST_CASE("C layer API: a full step matches the C++ API bit for bit") {
    const std::tuple<Method, int, int> cases[] = {
        {Method::residual, 1, 1}, {Method::hc, 3, 1},     {Method::mhc, 3, 1},
        {Method::mhc_lite, 3, 1}, {Method::kromhc, 4, 1}, {Method::go, 3, 2},
        {Method::go_kron, 4, 2}};
    const int64_t c = 5, t = 3;
    for (auto [m, d, s] : cases) {
        INFO(describe(m, d, s, t));
        const uint64_t seed = 17;
        gomhc::HyperConnection cpp(m, d, s, c, seed);
        CLayer cl;
        REQUIRE(gomhc_layer_create(name_of(m).c_str(), d, s, c, seed, &cl.p) == GOMHC_OK);
        const int64_t np = gomhc_layer_num_params(cl.p);
        REQUIRE(np == cpp.num_params());
        if (np > 0) {
            // Same initialisation for the same seed.
            CHECK(std::memcmp(gomhc_layer_params(cl.p), cpp.params(), sizeof(float) * size_t(np)) ==
                  0);
        }
        ref::Rng rng(seed);
        const ref::LayerShape shape = ref_shape(m, d, s, c);
        const Vec p = test_params(shape, layer_params(cpp), rng);
        if (np > 0) {
            set_layer_params(cpp, p);
            std::copy(p.begin(), p.end(), gomhc_layer_params(cl.p));
        }
        const Vec x = normal_f32(rng, t * d * c, 1.0), f = normal_f32(rng, t * c, 1.0);
        const Vec g = normal_f32(rng, t * d * c, 1.0), gy = normal_f32(rng, t * c, 1.0);

        const LayerRun k = run_layer(cpp, t, x, &f, g, gy);

        const std::vector<float> xf = ref::to_float(x), ff = ref::to_float(f),
                                 gf = ref::to_float(g), gyf = ref::to_float(gy);
        std::vector<float> y(size_t(t * c)), xn(size_t(t * d * c)), dx(size_t(t * d * c)),
            df(size_t(t * c));
        REQUIRE(gomhc_layer_zero_grads(cl.p) == GOMHC_OK);
        REQUIRE(gomhc_layer_pre(cl.p, t, xf.data(), y.data()) == GOMHC_OK);
        REQUIRE(gomhc_layer_post(cl.p, t, xf.data(), ff.data(), xn.data()) == GOMHC_OK);
        REQUIRE(gomhc_layer_post_backward(cl.p, t, gf.data(), dx.data(), df.data()) == GOMHC_OK);
        REQUIRE(gomhc_layer_pre_backward(cl.p, t, gyf.data(), dx.data()) == GOMHC_OK);
        const float *gr = gomhc_layer_grads(cl.p);
        const Vec grads = np > 0 ? Vec(gr, gr + np) : Vec{};

        // Bit for bit: the same kernels on the same inputs.
        CHECK(ref::to_double(y) == k.y);
        CHECK(ref::to_double(xn) == k.x_next);
        CHECK(ref::to_double(dx) == k.dx);
        CHECK(ref::to_double(df) == k.df);
        CHECK(grads == k.grads);
        // And right: the C++ layer's values are checked against the reference
        // above; check the forward here too so this case stands alone.
        const auto r = ref::layer_forward(shape, t, p, x, f);
        CHECK(ref::normwise_error(ref::to_double(xn), r.x_next) <= kForwardTol);
    }
}
