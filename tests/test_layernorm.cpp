// LayerNorm (gomhc::layernorm_forward / layernorm_backward) against the
// float64 reference of reference/model_reference.h: forward within 1e-5 of
// the output's magnitude (normwise), the backward's dx, dgamma and dbeta
// against the analytic reference and, independently of it, against central
// finite differences of the float64 forward; rows with a large mean (where a
// one-pass variance would lose every digit); 1 vs 2 threads bitwise; bad
// shapes named.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernel_util.h"
#include "model_reference.h"

namespace ref = gomhc::reference;
using gomhc::TensorView;
using gomhc_test::HostBackend;
using gomhc_test::normal_f32;
using gomhc_test::throws_error_naming;
using ref::Vec;

namespace {

constexpr double kForwardTol = 1e-5;
constexpr double kBackwardTol = 1e-4;
constexpr double kFiniteDiffTol = 1e-3;

struct Run {
    Vec y, mean, rstd, dx, dgamma, dbeta;
};

Run run(int64_t t, int64_t c, const Vec &x, const Vec &gamma, const Vec &beta, const Vec &dy) {
    HostBackend b;
    Run out;
    const auto xv = b.input(x, {t, c}), gv = b.input(gamma, {c}), bv = b.input(beta, {c});
    const auto y = b.output({t, c}), mean = b.output({t}), rstd = b.output({t});
    gomhc::layernorm_forward(xv, gv, bv, y, mean, rstd);
    out.y = b.download(y);
    out.mean = b.download(mean);
    out.rstd = b.download(rstd);
    const auto dyv = b.input(dy, {t, c});
    const auto dx = b.output({t, c}), dgamma = b.output({c}), dbeta = b.output({c});
    gomhc::layernorm_backward(dyv, xv, gv, mean, rstd, dx, dgamma, dbeta);
    out.dx = b.download(dx);
    out.dgamma = b.download(dgamma);
    out.dbeta = b.download(dbeta);
    return out;
}

struct Case {
    int64_t t, c;
    double offset;  // added to every x: rows with a large mean
};

}  // namespace

TEST_CASE("layernorm: forward and backward match the float64 reference") {
    for (const Case k : {Case{1, 1, 0.0}, Case{3, 7, 0.0}, Case{300, 384, 0.0},
                         Case{65, 129, 100.0}, Case{17, 768, -30.0}}) {
        INFO("T=" << k.t << " C=" << k.c << " offset=" << k.offset);
        ref::Rng rng(uint64_t(k.t * 1000 + k.c));
        Vec x = normal_f32(rng, k.t * k.c, 1.0);
        for (double &v : x) {
            v = double(float(v + k.offset));
        }
        const Vec gamma = normal_f32(rng, k.c, 1.0), beta = normal_f32(rng, k.c, 1.0);
        const Vec dy = normal_f32(rng, k.t * k.c, 1.0);
        const Run g = run(k.t, k.c, x, gamma, beta, dy);
        const auto f = ref::layernorm_forward(k.t, k.c, x, gamma, beta);
        CHECK(ref::normwise_error(g.y, f.y) <= kForwardTol);
        CHECK(ref::normwise_error(g.mean, f.mean) <= kForwardTol);
        CHECK(ref::normwise_error(g.rstd, f.rstd) <= kForwardTol);
        const auto r = ref::layernorm_backward(k.t, k.c, dy, x, gamma);
        if (k.c > 1) {
            CHECK(ref::normwise_error(g.dx, r.dx) <= kBackwardTol);
        } else {
            // With C = 1 every x is its own mean and dx vanishes; float32
            // leaves rounding of rstd * |gamma dy| (~300) at most.
            CHECK(ref::max_abs(g.dx) <= 1e-5);
        }
        CHECK(ref::normwise_error(g.dgamma, r.dgamma) <= kBackwardTol);
        CHECK(ref::normwise_error(g.dbeta, r.dbeta) <= kBackwardTol);
    }
}

TEST_CASE("layernorm: the reference backward matches finite differences of its forward") {
    const int64_t t = 3, c = 6;
    ref::Rng rng(7);
    const Vec x = normal_f32(rng, t * c, 1.0), gamma = normal_f32(rng, c, 1.0),
              beta = normal_f32(rng, c, 1.0), dy = normal_f32(rng, t * c, 1.0);
    auto loss = [&](const Vec &xs, const Vec &gs, const Vec &bs) {
        return ref::dot(dy, ref::layernorm_forward(t, c, xs, gs, bs).y);
    };
    const auto r = ref::layernorm_backward(t, c, dy, x, gamma);
    const double h = 1e-6;
    auto fd = [&](Vec v, size_t i, int which) {
        Vec plus = v, minus = v;
        plus[i] += h;
        minus[i] -= h;
        const Vec &xp = which == 0 ? plus : x, &xm = which == 0 ? minus : x;
        const Vec &gp = which == 1 ? plus : gamma, &gm = which == 1 ? minus : gamma;
        const Vec &bp = which == 2 ? plus : beta, &bm = which == 2 ? minus : beta;
        return (loss(xp, gp, bp) - loss(xm, gm, bm)) / (2 * h);
    };
    for (size_t i = 0; i < x.size(); i++) {
        CHECK(std::abs(r.dx[i] - fd(x, i, 0)) <= kFiniteDiffTol * (1 + std::abs(r.dx[i])));
    }
    for (size_t i = 0; i < gamma.size(); i++) {
        CHECK(std::abs(r.dgamma[i] - fd(gamma, i, 1)) <=
              kFiniteDiffTol * (1 + std::abs(r.dgamma[i])));
        CHECK(std::abs(r.dbeta[i] - fd(beta, i, 2)) <= kFiniteDiffTol * (1 + std::abs(r.dbeta[i])));
    }
}

TEST_CASE("layernorm: 1 and 2 threads give bitwise the same results") {
    const int64_t t = 300, c = 384;
    ref::Rng rng(11);
    const Vec x = normal_f32(rng, t * c, 1.0), gamma = normal_f32(rng, c, 1.0),
              beta = normal_f32(rng, c, 1.0), dy = normal_f32(rng, t * c, 1.0);
    gomhc::set_num_threads(1);
    const Run one = run(t, c, x, gamma, beta, dy);
    gomhc::set_num_threads(2);
    const Run two = run(t, c, x, gamma, beta, dy);
    gomhc::set_num_threads(0);
    CHECK(one.y == two.y);
    CHECK(one.dx == two.dx);
    CHECK(one.dgamma == two.dgamma);
    CHECK(one.dbeta == two.dbeta);
}

TEST_CASE("layernorm: bad shapes are rejected naming the argument") {
    std::vector<float> buf(64, 1.0f);
    const float *in = buf.data();
    float *out = buf.data() + 32;
    const auto x = TensorView::host(in, {2, 4}), gamma = TensorView::host(in, {4});
    CHECK(throws_error_naming(
        [&] {
            gomhc::layernorm_forward(x, TensorView::host(in, {5}), gamma,
                                     TensorView::host(out, {2, 4}), TensorView::host(out, {2}),
                                     TensorView::host(out, {2}));
        },
        {"gamma"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::layernorm_forward(x, gamma, gamma, TensorView::host(out, {2, 4}),
                                     TensorView::host(out, {3}), TensorView::host(out, {2}));
        },
        {"mean"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::layernorm_backward(TensorView::host(in, {3, 4}), x, gamma,
                                      TensorView::host(in, {2}), TensorView::host(in, {2}),
                                      TensorView::host(out, {2, 4}), TensorView::host(out, {4}),
                                      TensorView::host(out, {4}));
        },
        {"dy"}));
}
