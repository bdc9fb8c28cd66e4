// The hyper-connection layer run through gomhc::HyperConnection and checked
// against the float64 reference: helpers shared by test_layer (small shapes,
// every method) and test_trainer_api (the shapes trainers use).
//
// Tolerances, float32 kernels against float64 (docs/math.md, "Numerical
// requirements"), all chosen so that a real bug fails them:
//  * forward: max abs error <= 1e-5 scaled by the output's magnitude
//    (normwise, as kernel_checks.h); hc's H_res is its logits, exactly;
//  * gradients against central finite differences of the float64 forward:
//    max |g - g_fd| <= 1e-3 * max |g_fd| of each parameter group plus a
//    per-entry slack of 1e-5 * max |g_fd| of the whole gradient, and the
//    2-norm of the whole error <= 1e-3 of the 2-norm of g_fd.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "gomhc.h"
#include "kernel_util.h"
#include "layer_reference.h"

namespace layer_checks {

namespace ref = gomhc::reference;
using gomhc::Method;
using gomhc_test::HostBackend;
using gomhc_test::normal_f32;
using ref::Vec;

inline constexpr double kForwardTol = 1e-5;
inline constexpr double kExactTol = 1e-5;
inline constexpr double kFiniteDiffTol = 1e-3;
inline constexpr double kFiniteDiffSlack = 1e-5;
inline constexpr double kFdStep = 1e-6;

inline ref::MixerMethod to_ref(Method m) {
    switch (m) {
        case Method::residual:
            return ref::MixerMethod::residual;
        case Method::hc:
            return ref::MixerMethod::hc;
        case Method::mhc:
            return ref::MixerMethod::mhc;
        case Method::mhc_lite:
            return ref::MixerMethod::mhc_lite;
        case Method::kromhc:
            return ref::MixerMethod::kromhc;
        case Method::go:
            return ref::MixerMethod::go;
        case Method::go_kron:
            return ref::MixerMethod::go_kron;
    }
    FAIL("unknown gomhc::Method");
    return ref::MixerMethod::residual;
}

// The name as the reference spells it, so a failure message does not depend
// on gomhc::method_name being right.
inline std::string name_of(Method m) { return ref::mixer_method_name(to_ref(m)); }

inline std::string describe(Method m, int d, int s, int64_t tokens) {
    std::ostringstream os;
    os << name_of(m) << " d=" << d << " s=" << s << " T=" << tokens;
    return os.str();
}

inline double norm2(const Vec &v) {
    double s = 0.0;
    for (double e : v) {
        s += e * e;
    }
    return std::sqrt(s);
}

inline Vec sub(const Vec &a, const Vec &b) {
    Vec out(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        out[i] = a[i] - b[i];
    }
    return out;
}

inline Vec slice(const Vec &v, int64_t begin, int64_t end) {
    return Vec(v.begin() + begin, v.begin() + end);
}

// One gradient (or a group of one) against its finite-difference estimate.
// scale: max |g_fd| over the whole gradient the group belongs to.
inline void check_gradient(const std::string &what, const Vec &g, const Vec &fd, double scale) {
    INFO(what);
    REQUIRE(g.size() == fd.size());
    const double fd_max = ref::max_abs(fd);
    const double err = ref::max_abs_error(g, fd);
    const double tol = kFiniteDiffTol * fd_max + kFiniteDiffSlack * scale;
    INFO("max|g - fd| = " << err << ", max|fd| = " << fd_max << ", tolerance " << tol);
    CHECK(ref::all_finite(g));
    // The path is exercised: a group whose true gradient vanished would make
    // the check vacuous.
    CHECK(fd_max > 1e-4 * scale);
    CHECK(err <= tol);
}

inline void check_gradient_norm(const std::string &what, const Vec &g, const Vec &fd) {
    INFO(what);
    REQUIRE(g.size() == fd.size());
    const double rel = norm2(sub(g, fd)) / norm2(fd);
    INFO("|g - fd|_2 / |fd|_2 = " << rel);
    CHECK(rel <= kFiniteDiffTol);
}

// Parameter gradients, group by group (the flat layout of gomhc.h).
inline void check_param_gradients(const ref::LayerShape &shape, const Vec &g, const Vec &fd) {
    const auto lay = ref::layer_param_layout(shape);
    REQUIRE(int64_t(g.size()) == lay.count);
    REQUIRE(int64_t(fd.size()) == lay.count);
    const int64_t d = shape.d, dc = shape.d * shape.c;
    const double scale = ref::max_abs(fd);
    struct Group {
        const char *name;
        int64_t begin, end;
    };
    const Group groups[] = {
        {"W_pre (rows 0..d-1 of W)", lay.w, lay.w + d * dc},
        {"W_post (rows d..2d-1 of W)", lay.w + d * dc, lay.w + 2 * d * dc},
        {"W_res (rows 2d..K-1 of W)", lay.w + 2 * d * dc, lay.w + lay.k * dc},
        {"b_pre", lay.b, lay.b + d},
        {"b_post", lay.b + d, lay.b + 2 * d},
        {"b_res", lay.b + 2 * d, lay.b + lay.k},
        {"a_pre", lay.a_pre, lay.a_pre + 1},
        {"a_post", lay.a_post, lay.a_post + 1},
        {"a_res", lay.a_res, lay.a_res + 1},
    };
    for (const Group &gr : groups) {
        if (gr.end > gr.begin) {
            check_gradient(std::string("gradient of ") + gr.name, slice(g, gr.begin, gr.end),
                           slice(fd, gr.begin, gr.end), scale);
        }
    }
    check_gradient_norm("all parameter gradients", g, fd);
}

// ---------------------------------------------------------------------------
// Layer helpers

struct LayerCase {
    Method method;
    int d;
    int s;
    int64_t c;
    int64_t tokens;
};

inline ref::LayerShape ref_shape(Method m, int d, int s, int64_t c) { return {to_ref(m), d, s, c}; }

inline std::string describe(const LayerCase &lc) {
    std::ostringstream os;
    os << describe(lc.method, lc.d, lc.s, lc.tokens) << " C=" << lc.c;
    return os.str();
}

inline Vec layer_params(gomhc::HyperConnection &layer) {
    const float *p = layer.params();
    return p == nullptr ? Vec{} : Vec(p, p + layer.num_params());
}

inline Vec layer_grads(gomhc::HyperConnection &layer) {
    const float *g = layer.grads();
    return g == nullptr ? Vec{} : Vec(g, g + layer.num_params());
}

inline void set_layer_params(gomhc::HyperConnection &layer, const Vec &p) {
    REQUIRE(int64_t(p.size()) == layer.num_params());
    std::copy(p.begin(), p.end(), layer.params());
}

// Parameters for the checks: the layer's own seeded W, the biases moved off
// their initial values, and a_pre = a_post = a_res = 0.5 so that the dynamic
// (x-dependent) path carries as much weight as the static one.
inline Vec test_params(const ref::LayerShape &shape, const Vec &initial, ref::Rng &rng) {
    const auto lay = ref::layer_param_layout(shape);
    Vec p = initial;
    if (lay.count == 0) {
        return p;
    }
    for (int64_t k = lay.b; k < lay.b + lay.k; ++k) {
        p[size_t(k)] += rng.normal(0.3);
    }
    p[size_t(lay.a_pre)] = p[size_t(lay.a_post)] = p[size_t(lay.a_res)] = 0.5;
    return ref::round_to_float(p);
}

struct LayerRun {
    Vec y, x_next, h_pre, h_post, h_res, dx, df, grads;
};

// One training step of the layer: pre, post, post_backward(g_next),
// pre_backward. With f == nullptr the layer wraps F = identity: post gets
// f = y and pre_backward gets dy = df. Otherwise f is an independent input and
// pre_backward gets dy = g_y. Gradients are zeroed first.
inline LayerRun run_layer(gomhc::HyperConnection &layer, int64_t tokens, const Vec &x, const Vec *f,
                          const Vec &g_next, const Vec &g_y) {
    HostBackend b;
    const int d = layer.d();
    const int64_t c = layer.c();
    LayerRun out;
    layer.zero_grads();
    auto xv = b.input(x, {tokens, d, c});
    auto yv = b.output({tokens, c});
    layer.pre(xv, yv);
    out.y = b.download(yv);
    const gomhc::TensorView fv = f != nullptr ? b.input(*f, {tokens, c}) : yv;
    auto xnv = b.output({tokens, d, c});
    layer.post(xv, fv, xnv);
    out.x_next = b.download(xnv);
    // The header does not say what the coefficient views of the residual
    // method (no coefficients; H = 1) are, so they are read for the others only.
    if (layer.method() != Method::residual) {
        out.h_pre = b.download(layer.h_pre());
        out.h_post = b.download(layer.h_post());
        out.h_res = b.download(layer.h_res());
    }
    auto gv = b.input(g_next, {tokens, d, c});
    auto dxv = b.output({tokens, d, c});  // NaN-filled: post_backward must overwrite
    auto dfv = b.output({tokens, c});
    layer.post_backward(gv, dxv, dfv);
    out.df = b.download(dfv);
    const gomhc::TensorView dyv = f != nullptr ? b.input(g_y, {tokens, c}) : dfv;
    layer.pre_backward(dyv, dxv);
    out.dx = b.download(dxv);
    out.grads = layer_grads(layer);
    return out;
}

inline void check_layer_forward(const ref::LayerForward &r, const LayerRun &k) {
    CHECK(ref::normwise_error(k.y, r.y) <= kForwardTol);
    CHECK(ref::normwise_error(k.x_next, r.x_next) <= kForwardTol);
    if (k.h_pre.empty() && r.x_norm.empty()) {
        return;  // residual: no coefficients were read
    }
    CHECK(ref::normwise_error(k.h_pre, r.h_pre) <= kForwardTol);
    CHECK(ref::normwise_error(k.h_post, r.h_post) <= kForwardTol);
    CHECK(ref::normwise_error(k.h_res, r.h_res) <= kForwardTol);
}

// The layer shapes of the whole-layer gradient checks.
inline std::vector<LayerCase> layer_gradient_cases() {
    return {{Method::residual, 1, 1, 5, 3}, {Method::hc, 3, 1, 4, 2},
            {Method::hc, 4, 1, 3, 3},       {Method::mhc, 3, 1, 4, 3},
            {Method::mhc, 4, 1, 3, 2},      {Method::mhc_lite, 3, 1, 5, 2},
            {Method::mhc_lite, 4, 1, 3, 3}, {Method::kromhc, 2, 1, 6, 2},
            {Method::kromhc, 4, 1, 3, 3},   {Method::go, 3, 1, 4, 3},
            {Method::go, 3, 2, 3, 2},       {Method::go, 4, 1, 8, 3},
            {Method::go, 4, 2, 5, 2},       {Method::go, 2, 2, 7, 3},
            {Method::go_kron, 4, 1, 4, 3},  {Method::go_kron, 4, 2, 3, 2},
            {Method::go_kron, 6, 1, 3, 2}};
}

// A layer with the test parameters and random x, f, upstream gradients.
struct LayerFixture {
    LayerCase lc;
    ref::LayerShape shape;
    gomhc::HyperConnection layer;
    Vec params, x, f, g_next, g_y;

    LayerFixture(const LayerCase &c, uint64_t seed)
        : lc(c), shape(ref_shape(c.method, c.d, c.s, c.c)), layer(c.method, c.d, c.s, c.c, seed) {
        ref::Rng rng(seed);
        REQUIRE(layer.num_params() == ref::layer_param_count(shape));
        params = test_params(shape, layer_params(layer), rng);
        if (!params.empty()) {
            set_layer_params(layer, params);
        }
        const int64_t t = c.tokens;
        x = normal_f32(rng, t * c.d * c.c, 1.0);
        f = normal_f32(rng, t * c.c, 1.0);
        g_next = normal_f32(rng, t * c.d * c.c, 1.0);
        g_y = normal_f32(rng, t * c.c, 1.0);
    }
};

// A C layer, destroyed with its scope.
struct CLayer {
    gomhc_layer *p = nullptr;
    CLayer() = default;
    CLayer(const CLayer &) = delete;
    CLayer &operator=(const CLayer &) = delete;
    ~CLayer() {
        if (p != nullptr) {
            gomhc_layer_destroy(p);
        }
    }
};

}  // namespace layer_checks
