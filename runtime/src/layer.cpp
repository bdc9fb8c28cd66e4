// gomhc::HyperConnection: the layer a trainer wraps around each sub-layer.
// pre runs the coefficient path (which also reads y) and the method's mixer;
// post writes X_next; the backward calls run the same kernels' backward in
// reverse and add into the gradients.
#include <cmath>
#include <optional>

#include "buffer_slice.h"
#include "device_array.h"
#include "methods.h"
#include "op_support.h"
#include "seeded_normal.h"

namespace gomhc {

using namespace detail;

namespace {

enum class Phase { fresh, after_pre, after_post, after_post_backward };

const char *phase_text(Phase phase) {
    switch (phase) {
        case Phase::fresh:
            return "nothing yet (or the last call was pre_backward)";
        case Phase::after_pre:
            return "pre";
        case Phase::after_post:
            return "post";
        case Phase::after_post_backward:
            return "post_backward";
    }
    return "?";
}

constexpr float kInitialScale = 0.01f;  // a_pre, a_post, a_res (docs/math.md section 1)

// Below this many coefficients the layer's backward uses the coefficient
// kernel built for narrow K (registry.cmake's `narrow` variant, W not
// packed): packing W pays for wide K only (docs/benchmarks.md,
// "Coefficient backward variants").
constexpr int64_t kNarrowCoefficients = 12;

}  // namespace

struct HyperConnection::State {
    Method method;
    int d, s;
    int64_t c, k, k_res;
    Device device;
    Mixer mixer;
    DeviceArray params, grads;

    Phase phase = Phase::fresh;
    int64_t tokens = 0;
    std::optional<TensorView> x, f;  // views of the caller's tensors (pre, post)
    // Saved activations for `tokens` tokens.
    DeviceArray h_pre, h_post, logits, z, inv_rms, h_res;
    // Backward scratch.
    DeviceArray dh_res, dh_post, dlogits;

    State(Method m, int d_, int s_, int64_t c_, Device dev)
        : method(m), d(d_), s(s_), c(c_), device(dev), mixer(m, d_, s_) {}

    int64_t w_count() const { return k * d * c; }
    TensorView w() { return params.view({k, d, c}); }
    TensorView bias() { return params.view({k}, size_t(w_count())); }
    TensorView scales() { return params.view({3}, size_t(w_count() + k)); }
    TensorView dw() { return grads.view({k, d, c}); }
    TensorView db() { return grads.view({k}, size_t(w_count())); }
    TensorView da() { return grads.view({3}, size_t(w_count() + k)); }
    // Kernels need at least one residual logit per token (kromhc and go at
    // d = 1 have none); the spare column is never read.
    int64_t logit_columns() const { return std::max<int64_t>(k_res, 1); }
};

HyperConnection::HyperConnection(Method method, int d, int s, int64_t c, uint64_t seed,
                                 Device device) {
    const char *op = "gomhc::HyperConnection";
    check_method_shape(method, d, s);
    if (c < 1) {
        throw InvalidArgument(std::string(op) + ": C = " + std::to_string(c) +
                              " features per stream, expected C >= 1");
    }
    if (device == Device::cuda) {
        require_cuda(op);
    }
    state_ = std::make_unique<State>(method, d, s, c, device);
    State &st = *state_;
    st.k_res = residual_logit_count(method, d, s);
    st.k = method == Method::residual ? 0 : 2 * d + st.k_res;
    if (st.k > 0 && st.w_count() / st.k / d != c) {
        throw InvalidArgument(std::string(op) + ": K * d * C overflows");
    }
    const int64_t count = method == Method::residual ? 0 : st.w_count() + st.k + 3;

    // The documented initialisation, drawn on the host and copied over.
    std::vector<float> init(size_t(count), 0.0f);
    if (count > 0) {
        SeededNormal normal(seed);
        const double sigma = 1.0 / std::sqrt(double(d) * double(c));
        for (int64_t i = 0; i < st.w_count(); i++) {
            init[size_t(i)] = float(sigma * normal.next());
        }
        float *b = init.data() + st.w_count();
        const double pre = std::min(1.0 / d, 0.5);
        for (int j = 0; j < d; j++) {
            b[j] = float(std::log(pre / (1.0 - pre)));  // H_pre = 1/d
            b[d + j] = 0.0f;                            // H_post = 2 sigmoid(0) = 1
        }
        const std::vector<float> res =
            initial_residual_logits(method, d, s, seed ^ 0x9e3779b97f4a7c15ull);
        std::copy(res.begin(), res.end(), b + 2 * d);
        float *a = b + st.k;
        a[0] = a[1] = a[2] = kInitialScale;
    }
    st.params.reset(device, size_t(count));
    st.params.upload(init.data());
    st.grads.reset(device, size_t(count));
    st.grads.fill(0.0f);
}

HyperConnection::~HyperConnection() = default;
HyperConnection::HyperConnection(HyperConnection &&) noexcept = default;
HyperConnection &HyperConnection::operator=(HyperConnection &&) noexcept = default;

Method HyperConnection::method() const { return state_->method; }
int HyperConnection::d() const { return state_->d; }
int HyperConnection::s() const { return state_->s; }
int64_t HyperConnection::c() const { return state_->c; }
Device HyperConnection::device() const { return state_->device; }
int64_t HyperConnection::coefficient_count() const { return state_->k; }
int64_t HyperConnection::num_params() const { return int64_t(state_->params.count()); }
float *HyperConnection::params() { return state_->params.data(); }
float *HyperConnection::grads() { return state_->grads.data(); }
void HyperConnection::zero_grads() { state_->grads.fill(0.0f); }

std::vector<HyperConnection::ParamSlice> HyperConnection::param_layout() const {
    const State &st = *state_;
    if (st.method == Method::residual) {
        return {};
    }
    const int64_t w = st.w_count();
    return {{"W", 0, {st.k, st.d * st.c}},
            {"b", w, {st.k}},
            {"a_pre", w + st.k, {1}},
            {"a_post", w + st.k + 1, {1}},
            {"a_res", w + st.k + 2, {1}}};
}

void HyperConnection::bind(float *params, float *grads) {
    State &st = *state_;
    const char *op = "gomhc::HyperConnection::bind";
    const size_t count = st.params.count();
    if (count == 0) {
        return;
    }
    if (params == nullptr || grads == nullptr) {
        throw InvalidArgument(std::string(op) + ": '" + (params ? "grads" : "params") +
                              "' is a null pointer; the layer has " + std::to_string(count) +
                              " parameters");
    }
    if (params < grads + count && grads < params + count) {
        throw InvalidArgument(std::string(op) + ": 'params' and 'grads' overlap; each needs " +
                              std::to_string(count) + " floats of its own");
    }
    st.params.borrow(st.device, params, count);
    st.grads.borrow(st.device, grads, count);
}

bool HyperConnection::bound() const { return state_->params.borrowed(); }

namespace {

void require_phase(const char *op, Phase actual, Phase expected, const char *needs) {
    if (actual != expected) {
        throw InvalidArgument(std::string(op) + ": called out of order; it must follow " + needs +
                              ", but the last call was " + phase_text(actual));
    }
}

void require_device(const char *op, const TensorView &view, const char *name, Device device) {
    if (view.device() != device) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' is in " +
                              (view.device() == Device::cuda ? "CUDA" : "host") +
                              " memory but the layer lives in " +
                              (device == Device::cuda ? "CUDA" : "host") + " memory");
    }
}

void copy_floats(Device device, float *dst, const float *src, int64_t count) {
    if (device == Device::cuda) {
        cuda_copy_rows(dst, size_t(count), src, size_t(count), size_t(count), 1);
    } else {
        std::copy(src, src + count, dst);
    }
}

// dst = a + b (elementwise, any device), in token slices.
void accumulate(const char *op, const TensorView &a, const TensorView &b, const TensorView &dst) {
    int count = 0;
    const auto *table = kernels::accumulate_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, 0, 0, a.device()), a.device());
    const int64_t rows = a.shape()[0], per_row = a.size() / std::max<int64_t>(rows, 1);
    for_token_slices(rows, per_row, [&](int64_t first, int64_t size) {
        const TensorView fa = reshaped(a, {a.size()}), fb = reshaped(b, {b.size()}),
                         fd = reshaped(dst, {dst.size()});
        HalideBufferSlice sa(fa, first * per_row, size * per_row),
            sb(fb, first * per_row, size * per_row), sd(fd, first * per_row, size * per_row);
        check_kernel(op, fn(&sa.buffer, &sb.buffer, &sd.buffer));
    });
}

}  // namespace

void HyperConnection::pre(const TensorView &x, const TensorView &y) {
    State &st = *state_;
    const char *op = "gomhc::HyperConnection::pre";
    const int64_t tokens = leading_tokens(op, "x", x, 3);
    check_args(op, {{"x", x, {tokens, st.d, st.c}, "[tokens][d][C]", true},
                    {"y", y, {tokens, st.c}, "[tokens][C]", false}});
    require_device(op, x, "x", st.device);
    st.phase = Phase::fresh;  // a failed pre leaves nothing to go backward from
    if (st.method == Method::residual) {
        copy_floats(st.device, const_cast<float *>(y.data()), x.data(), tokens * st.c);
    } else {
        const int64_t d = st.d, cols = st.logit_columns();
        st.h_pre.reset(st.device, size_t(tokens * d));
        st.h_post.reset(st.device, size_t(tokens * d));
        st.logits.reset(st.device, size_t(tokens * cols));
        st.z.reset(st.device, size_t(tokens * st.k));
        st.inv_rms.reset(st.device, size_t(tokens));
        st.h_res.reset(st.device, size_t(tokens * d * d));
        int count = 0;
        const auto *table = kernels::coefficients_forward_variants(&count);
        auto fn = require_variant(op, kernels::choose(table, count, 0, 0, st.device), st.device);
        const TensorView w = st.w(), bias = st.bias(), scales = st.scales();
        const TensorView h_pre = st.h_pre.view({tokens, d}), h_post = st.h_post.view({tokens, d});
        const TensorView logits = st.logits.view({tokens, cols}), z = st.z.view({tokens, st.k});
        const TensorView inv_rms = st.inv_rms.view({tokens});
        for_token_slices(tokens, d * st.c, [&](int64_t first, int64_t size) {
            HalideBufferSlice xs(x, first, size), ws(w, 0, st.k), bs(bias, 0, st.k),
                as(scales, 0, 3), ys(y, first, size), hp(h_pre, first, size),
                hq(h_post, first, size), ls(logits, first, size), zs(z, first, size),
                rs(inv_rms, first, size);
            check_kernel(op, fn(&xs.buffer, &ws.buffer, &bs.buffer, &as.buffer, &ys.buffer,
                                &hp.buffer, &hq.buffer, &ls.buffer, &zs.buffer, &rs.buffer));
        });
        // The mixer wants exactly K_res columns; with none, its view is empty.
        st.mixer.forward(st.k_res > 0 ? logits : st.logits.view({tokens, 0}),
                         st.h_res.view({tokens, d, d}));
    }
    st.x = x;
    st.tokens = tokens;
    st.phase = Phase::after_pre;
}

void HyperConnection::post(const TensorView &x, const TensorView &f, const TensorView &x_next) {
    State &st = *state_;
    const char *op = "gomhc::HyperConnection::post";
    require_phase(op, st.phase, Phase::after_pre, "pre");
    const int64_t tokens = st.tokens;
    check_args(op, {{"x", x, {tokens, st.d, st.c}, "[tokens][d][C] with the tokens of pre", true},
                    {"f", f, {tokens, st.c}, "[tokens][C]", true},
                    {"x_next", x_next, {tokens, st.d, st.c}, "[tokens][d][C]", false}});
    require_device(op, x, "x", st.device);
    if (x.data() != st.x->data()) {
        throw InvalidArgument(
            std::string(op) +
            ": 'x' is not the tensor given to pre; post mixes the streams with the "
            "coefficients pre computed from that x");
    }
    if (st.method == Method::residual) {
        accumulate(op, reshaped(x, {tokens, st.c}), f, reshaped(x_next, {tokens, st.c}));
    } else {
        stream_write_forward(x, st.h_res.view({tokens, st.d, st.d}), st.h_post.view({tokens, st.d}),
                             f, x_next);
    }
    st.f = f;
    st.phase = Phase::after_post;
}

void HyperConnection::post_backward(const TensorView &dx_next, const TensorView &dx,
                                    const TensorView &df) {
    State &st = *state_;
    const char *op = "gomhc::HyperConnection::post_backward";
    require_phase(op, st.phase, Phase::after_post, "post");
    const int64_t tokens = st.tokens, d = st.d;
    check_args(op, {{"dx_next",
                     dx_next,
                     {tokens, d, st.c},
                     "[tokens][d][C] with the tokens of pre/post",
                     true},
                    {"dx", dx, {tokens, d, st.c}, "[tokens][d][C]", false},
                    {"df", df, {tokens, st.c}, "[tokens][C]", false}});
    require_device(op, dx_next, "dx_next", st.device);
    if (st.method == Method::residual) {
        copy_floats(st.device, const_cast<float *>(dx.data()), dx_next.data(), tokens * st.c);
        copy_floats(st.device, const_cast<float *>(df.data()), dx_next.data(), tokens * st.c);
    } else {
        st.dh_res.reset(st.device, size_t(tokens * d * d));
        st.dh_post.reset(st.device, size_t(tokens * d));
        st.dlogits.reset(st.device, size_t(tokens * st.logit_columns()));
        stream_write_backward(*st.x, st.h_res.view({tokens, d, d}), st.h_post.view({tokens, d}),
                              *st.f, dx_next, dx, st.dh_res.view({tokens, d, d}),
                              st.dh_post.view({tokens, d}), df);
        if (st.k_res > 0) {
            st.mixer.backward(st.dh_res.view({tokens, d, d}), st.dlogits.view({tokens, st.k_res}));
        } else {
            st.dlogits.fill(0.0f);
        }
    }
    st.phase = Phase::after_post_backward;
}

void HyperConnection::pre_backward(const TensorView &dy, const TensorView &dx) {
    State &st = *state_;
    const char *op = "gomhc::HyperConnection::pre_backward";
    require_phase(op, st.phase, Phase::after_post_backward, "post_backward");
    const int64_t tokens = st.tokens, d = st.d;
    check_args(op, {{"dy", dy, {tokens, st.c}, "[tokens][C] with the tokens of pre/post", true},
                    {"dx", dx, {tokens, d, st.c}, "[tokens][d][C]", false}});
    require_device(op, dy, "dy", st.device);
    if (st.method == Method::residual) {
        const TensorView flat = reshaped(dx, {tokens, st.c});
        accumulate(op, flat, dy, flat);
    } else {
        int count = 0;
        const auto *table = kernels::coefficients_backward_variants(&count);
        const char *variant = st.k < kNarrowCoefficients ? "narrow" : "generic";
        auto fn =
            require_variant(op, kernels::choose_named(table, count, variant, st.device), st.device);
        const int64_t cols = st.logit_columns();
        const TensorView w = st.w(), scales = st.scales(), dw = st.dw(), db = st.db(), da = st.da();
        const TensorView z = st.z.view({tokens, st.k}), inv_rms = st.inv_rms.view({tokens});
        const TensorView h_pre = st.h_pre.view({tokens, d}), h_post = st.h_post.view({tokens, d});
        const TensorView dh_post = st.dh_post.view({tokens, d});
        const TensorView dlogits = st.dlogits.view({tokens, cols});
        for_token_slices(tokens, d * st.c, [&](int64_t first, int64_t size) {
            HalideBufferSlice xs(*st.x, first, size), ws(w, 0, st.k), as(scales, 0, 3),
                zs(z, first, size), rs(inv_rms, first, size), hp(h_pre, first, size),
                hq(h_post, first, size), dys(dy, first, size), dhq(dh_post, first, size),
                dls(dlogits, first, size), dx_in(dx, first, size), dw_in(dw, 0, st.k),
                db_in(db, 0, st.k), da_in(da, 0, 3), dx_out(dx, first, size), dw_out(dw, 0, st.k),
                db_out(db, 0, st.k), da_out(da, 0, 3);
            check_kernel(op, fn(&xs.buffer, &ws.buffer, &as.buffer, &zs.buffer, &rs.buffer,
                                &hp.buffer, &hq.buffer, &dys.buffer, &dhq.buffer, &dls.buffer,
                                &dx_in.buffer, &dw_in.buffer, &db_in.buffer, &da_in.buffer,
                                &dx_out.buffer, &dw_out.buffer, &db_out.buffer, &da_out.buffer));
        });
    }
    st.phase = Phase::fresh;
}

namespace {
void require_coefficients(const HyperConnection &layer, const char *what) {
    if (layer.method() == Method::residual) {
        throw InvalidArgument(std::string("gomhc::HyperConnection::") + what +
                              ": the residual method has no coefficients");
    }
}
}  // namespace

TensorView HyperConnection::h_pre() const {
    require_coefficients(*this, "h_pre");
    State &st = *state_;
    return st.h_pre.view({st.tokens, st.d});
}
TensorView HyperConnection::h_post() const {
    require_coefficients(*this, "h_post");
    State &st = *state_;
    return st.h_post.view({st.tokens, st.d});
}
TensorView HyperConnection::h_res() const {
    require_coefficients(*this, "h_res");
    State &st = *state_;
    return st.h_res.view({st.tokens, st.d, st.d});
}

}  // namespace gomhc
