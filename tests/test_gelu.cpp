// GELU (gomhc::gelu_forward / gelu_backward) against the float64 reference
// of reference/model_reference.h, over the range where tanh saturates and
// where it does not; the reference's derivative against central finite
// differences; 1 vs 2 threads bitwise; shapes checked.
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

namespace {

// float32 tanh and the cubic leave a few ulps of the output's scale.
constexpr double kTol = 1e-5;

Vec inputs(int64_t count) {
    Vec x(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; i++) {
        x[size_t(i)] = double(float(-8.0 + 16.0 * double(i) / double(count - 1)));
    }
    return x;
}

}  // namespace

TEST_CASE("gelu: forward and backward match the float64 reference on [-8, 8]") {
    const int64_t t = 37, c = 129;  // a tail that is no multiple of the vector width
    const Vec x = inputs(t * c);
    ref::Rng rng(3);
    const Vec dy = gomhc_test::normal_f32(rng, t * c, 1.0);
    HostBackend b;
    const auto xv = b.input(x, {t, c}), dyv = b.input(dy, {t, c});
    const auto y = b.output({t, c}), dx = b.output({t, c});
    gomhc::gelu_forward(xv, y);
    gomhc::gelu_backward(xv, dyv, dx);
    const Vec ry = ref::gelu_forward(x), rdx = ref::gelu_backward(x, dy);
    CHECK(ref::max_abs_error(b.download(y), ry) <= kTol * ref::max_abs(ry));
    CHECK(ref::max_abs_error(b.download(dx), rdx) <= kTol * ref::max_abs(rdx));
}

TEST_CASE("gelu: the reference derivative matches finite differences") {
    const Vec x = inputs(101);
    const Vec ones(x.size(), 1.0);
    const Vec d = ref::gelu_backward(x, ones);
    const double h = 1e-6;
    for (size_t i = 0; i < x.size(); i++) {
        const double fd =
            (ref::gelu_forward({x[i] + h})[0] - ref::gelu_forward({x[i] - h})[0]) / (2 * h);
        CHECK(std::abs(d[i] - fd) <= 1e-7);
    }
}

TEST_CASE("gelu: 1 and 2 threads give bitwise the same results") {
    const Vec x = inputs(100003);
    HostBackend b;
    const auto xv = b.input(x, {int64_t(x.size())});
    Vec outs[2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        const auto y = b.output({int64_t(x.size())});
        gomhc::gelu_forward(xv, y);
        outs[threads - 1] = b.download(y);
    }
    gomhc::set_num_threads(0);
    CHECK(outs[0] == outs[1]);
}

TEST_CASE("gelu: shapes are checked, naming the argument") {
    std::vector<float> buf(32, 0.5f);
    const auto x = TensorView::host(static_cast<const float *>(buf.data()), {2, 4});
    CHECK(throws_error_naming(
        [&] { gomhc::gelu_forward(x, TensorView::host(buf.data() + 8, {8})); }, {"y"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::gelu_backward(x,
                                 TensorView::host(static_cast<const float *>(buf.data()), {2, 3}),
                                 TensorView::host(buf.data() + 8, {2, 4}));
        },
        {"dy"}));
}

TEST_CASE("gelu: saturates to x and 0 (gradient 1 and 0) for large |x|") {
    const Vec x = {-1000.0, -50.0, -20.0, 20.0, 50.0, 1000.0};
    const Vec dy(x.size(), 1.0);
    HostBackend b;
    const auto xv = b.input(x, {int64_t(x.size())}), dyv = b.input(dy, {int64_t(x.size())});
    const auto y = b.output({int64_t(x.size())}), dx = b.output({int64_t(x.size())});
    gomhc::gelu_forward(xv, y);
    gomhc::gelu_backward(xv, dyv, dx);
    const Vec gy = b.download(y), gdx = b.download(dx);
    const Vec ry = ref::gelu_forward(x), rdx = ref::gelu_backward(x, dy);
    for (size_t i = 0; i < x.size(); i++) {
        INFO("x = " << x[i]);
        CHECK(std::isfinite(gy[i]));
        CHECK(std::isfinite(gdx[i]));
        CHECK(std::abs(gy[i] - ry[i]) <= kTol * std::max(1.0, std::abs(ry[i])));
        CHECK(std::abs(gdx[i] - rdx[i]) <= kTol);
    }
}
