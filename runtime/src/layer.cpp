// gomhc::HyperConnection: the layer a trainer wraps around each sub-layer.
// The public class checks every call (shapes, devices, order) and hands it
// to its path: the hyper-connection path here (pre runs the coefficient
// path, which also reads y, and the method's mixer; post writes X_next; the
// backward calls run the same kernels' backward in reverse and add into the
// gradients), or the method's own (methods/residual.cpp).
#include <cmath>
#include <optional>

#include "device_array.h"
#include "gomhc/seeded_normal.hpp"
#include "layer_path.h"
#include "methods/method.h"
#include "op_support.h"

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

// The dynamic coefficients (RMSNorm, the K x d*C product, the gates), the
// method's mixer for H_res, and the stream write.
class CoefficientPath : public LayerPath {
public:
    CoefficientPath(Method method, int d, int s, int64_t c, DeviceArray &params, DeviceArray &grads)
        : method_(method),
          d_(d),
          s_(s),
          c_(c),
          k_res_(residual_logit_count(method, d, s)),
          k_(2 * d + k_res_),
          mixer_(method, d, s),
          params_(params),
          grads_(grads) {
        if (k_ * d_ * c_ / k_ / d_ != c_) {
            throw InvalidArgument("gomhc::HyperConnection: K * d * C overflows");
        }
    }

    int64_t coefficient_count() const override { return k_; }
    int64_t num_params() const override { return w_count() + k_ + 3; }

    void initialise(uint64_t seed, int home, float *init) const override {
        SeededNormal normal(seed);
        const double sigma = 1.0 / std::sqrt(double(d_) * double(c_));
        for (int64_t i = 0; i < w_count(); i++) {
            init[i] = float(sigma * normal.next());
        }
        float *b = init + w_count();
        const GateStart gates = method_spec(method_).home_start;
        const double pre = std::min(1.0 / d_, 0.5);
        for (int j = 0; j < d_; j++) {
            if (home < 0) {
                b[j] = float(std::log(pre / (1.0 - pre)));  // H_pre = 1/d
                b[d_ + j] = 0.0f;                           // H_post = 2 sigmoid(0) = 1
            } else {
                b[j] = float(j == home ? gates.pre_home : gates.pre_other);
                b[d_ + j] = float(j == home ? gates.post_home : gates.post_other);
            }
        }
        const std::vector<float> res =
            initial_residual_logits(method_, d_, s_, seed ^ 0x9e3779b97f4a7c15ull);
        std::copy(res.begin(), res.end(), b + 2 * d_);
        float *a = b + k_;
        a[0] = a[1] = a[2] = kInitialScale;
    }

    std::vector<HyperConnection::ParamSlice> param_layout() const override {
        const int64_t w = w_count();
        return {{"W", 0, {k_, d_ * c_}},
                {"b", w, {k_}},
                {"a_pre", w + k_, {1}},
                {"a_post", w + k_ + 1, {1}},
                {"a_res", w + k_ + 2, {1}}};
    }

    void pre(const TensorView &x, const TensorView &y) override {
        const char *op = "gomhc::HyperConnection::pre";
        const Device device = params_.device();
        const int64_t tokens = x.shape()[0], d = d_, cols = logit_columns();
        h_pre_.reset(device, size_t(tokens * d));
        h_post_.reset(device, size_t(tokens * d));
        logits_.reset(device, size_t(tokens * cols));
        z_.reset(device, size_t(tokens * k_));
        inv_rms_.reset(device, size_t(tokens));
        h_res_.reset(device, size_t(tokens * d * d));
        auto fn = find_kernel(op, kernels::coefficients_forward_variants, device);
        const TensorView logits = logits_.view({tokens, cols});
        call_sliced(op, fn, tokens, d * c_, x, whole(w()), whole(bias()), whole(scales()), y,
                    h_pre_.view({tokens, d}), h_post_.view({tokens, d}), logits,
                    z_.view({tokens, k_}), inv_rms_.view({tokens}));
        // The mixer wants exactly K_res columns; with none, its view is empty.
        mixer_.forward(k_res_ > 0 ? logits : logits_.view({tokens, 0}),
                       h_res_.view({tokens, d, d}));
    }

    void post(const TensorView &x, const TensorView &f, const TensorView &x_next) override {
        const int64_t tokens = x.shape()[0];
        stream_write_forward(x, h_res(tokens), h_post(tokens), f, x_next);
    }

    void post_backward(const TensorView &x, const TensorView &f, const TensorView &dx_next,
                       const TensorView &dx, const TensorView &df) override {
        const Device device = params_.device();
        const int64_t tokens = x.shape()[0], d = d_;
        dh_res_.reset(device, size_t(tokens * d * d));
        dh_post_.reset(device, size_t(tokens * d));
        dlogits_.reset(device, size_t(tokens * logit_columns()));
        stream_write_backward(x, h_res(tokens), h_post(tokens), f, dx_next, dx,
                              dh_res_.view({tokens, d, d}), dh_post_.view({tokens, d}), df);
        if (k_res_ > 0) {
            mixer_.backward(dh_res_.view({tokens, d, d}), dlogits_.view({tokens, k_res_}));
        } else {
            dlogits_.fill(0.0f);
        }
    }

    void pre_backward(const TensorView &x, const TensorView &dy, const TensorView &dx) override {
        const char *op = "gomhc::HyperConnection::pre_backward";
        const int64_t tokens = x.shape()[0], d = d_;
        const char *variant = k_ < kNarrowCoefficients ? "narrow" : "generic";
        auto fn = find_named_kernel(op, kernels::coefficients_backward_variants, variant,
                                    params_.device());
        // The kernel adds into dx and the parameter gradients: each is an
        // input and an output.
        call_sliced(op, fn, tokens, d * c_, x, whole(w()), whole(scales()), z_.view({tokens, k_}),
                    inv_rms_.view({tokens}), h_pre(tokens), h_post(tokens), dy,
                    dh_post_.view({tokens, d}), dlogits_.view({tokens, logit_columns()}), dx,
                    whole(dw()), whole(db()), whole(da()), dx, whole(dw()), whole(db()),
                    whole(da()));
    }

    TensorView h_pre(int64_t tokens) override { return h_pre_.view({tokens, d_}); }
    TensorView h_post(int64_t tokens) override { return h_post_.view({tokens, d_}); }
    TensorView h_res(int64_t tokens) override { return h_res_.view({tokens, d_, d_}); }

private:
    int64_t w_count() const { return k_ * d_ * c_; }
    TensorView w() { return params_.view({k_, d_, c_}); }
    TensorView bias() { return params_.view({k_}, size_t(w_count())); }
    TensorView scales() { return params_.view({3}, size_t(w_count() + k_)); }
    TensorView dw() { return grads_.view({k_, d_, c_}); }
    TensorView db() { return grads_.view({k_}, size_t(w_count())); }
    TensorView da() { return grads_.view({3}, size_t(w_count() + k_)); }
    // Kernels need at least one residual logit per token (kromhc and go at
    // d = 1 have none); the spare column is never read.
    int64_t logit_columns() const { return std::max<int64_t>(k_res_, 1); }

    Method method_;
    int d_, s_;
    int64_t c_, k_res_, k_;
    Mixer mixer_;
    DeviceArray &params_, &grads_;
    // Saved activations of the last pre, and the backward's scratch.
    DeviceArray h_pre_, h_post_, logits_, z_, inv_rms_, h_res_;
    DeviceArray dh_res_, dh_post_, dlogits_;
};

}  // namespace

struct HyperConnection::State {
    Method method;
    int d, s;
    int64_t c;
    Device device;
    int home;  // -1: the symmetric start
    DeviceArray params, grads;
    std::unique_ptr<LayerPath> path;  // after params and grads: it refers to them

    Phase phase = Phase::fresh;
    int64_t tokens = 0;
    std::optional<TensorView> x, f;  // views of the caller's tensors (pre, post)
};

HyperConnection::HyperConnection(Method method, int d, int s, int64_t c, uint64_t seed,
                                 Device device, LayerStart start) {
    const char *op = "gomhc::HyperConnection";
    check_method_shape(method, d, s);
    if (c < 1) {
        throw InvalidArgument(std::string(op) + ": C = " + std::to_string(c) +
                              " features per stream, expected C >= 1");
    }
    if (start.index < 0) {
        throw InvalidArgument(std::string(op) + ": layer index " + std::to_string(start.index) +
                              ", expected >= 0");
    }
    require_device(op, device);
    state_ = std::make_unique<State>();
    State &st = *state_;
    st.method = method;
    st.d = d;
    st.s = s;
    st.c = c;
    st.device = device;
    st.home = start.symmetric ? -1 : int(start.index % d);
    const MethodSpec &spec = method_spec(method);
    if (spec.make_layer_path) {
        st.path = spec.make_layer_path(c, st.params, st.grads);
    } else {
        st.path = std::make_unique<CoefficientPath>(method, d, s, c, st.params, st.grads);
    }

    // The documented initialisation, drawn on the host and copied over.
    const int64_t count = st.path->num_params();
    std::vector<float> init(size_t(count), 0.0f);
    st.path->initialise(seed, st.home, init.data());
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
int HyperConnection::home_stream() const { return state_->home; }
int64_t HyperConnection::coefficient_count() const { return state_->path->coefficient_count(); }
int64_t HyperConnection::num_params() const { return int64_t(state_->params.count()); }
float *HyperConnection::params() { return state_->params.data(); }
float *HyperConnection::grads() { return state_->grads.data(); }
void HyperConnection::zero_grads() { state_->grads.fill(0.0f); }

std::vector<HyperConnection::ParamSlice> HyperConnection::param_layout() const {
    return state_->path->param_layout();
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
    st.params.borrow({st.device, params, 0}, count);
    st.grads.borrow({st.device, grads, 0}, count);
}

void HyperConnection::bind(const TensorView &params, const TensorView &grads) {
    State &st = *state_;
    const char *op = "gomhc::HyperConnection::bind";
    const int64_t count = int64_t(st.params.count());
    if (count == 0) {
        return;
    }
    for (const auto &[name, view] :
         {std::pair<const char *, const TensorView &>{"params", params}, {"grads", grads}}) {
        if (view.size() != count || view.device() != st.device) {
            throw InvalidArgument(
                std::string(op) + ": '" + name + "' is " + std::to_string(view.size()) +
                " floats in " + device_name(view.device()) + " memory, expected " +
                std::to_string(count) + " in " + device_name(st.device) + " memory");
        }
    }
    const DeviceAddress p = address_of(params), g = address_of(grads);
    if (p.base == g.base && p.offset < g.offset + count && g.offset < p.offset + count) {
        throw InvalidArgument(std::string(op) + ": 'params' and 'grads' overlap; each needs " +
                              std::to_string(count) + " floats of its own");
    }
    st.params.borrow(p, size_t(count));
    st.grads.borrow(g, size_t(count));
}

TensorView HyperConnection::params_view() const {
    return state_->params.view({int64_t(state_->params.count())});
}
TensorView HyperConnection::grads_view() const {
    return state_->grads.view({int64_t(state_->grads.count())});
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
                              device_name(view.device()) + " memory but the layer lives in " +
                              device_name(device) + " memory");
    }
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
    st.path->pre(x, y);
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
    if (x.data() != st.x->data() || x.offset() != st.x->offset()) {
        throw InvalidArgument(
            std::string(op) +
            ": 'x' is not the tensor given to pre; post mixes the streams with the "
            "coefficients pre computed from that x");
    }
    st.path->post(x, f, x_next);
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
    st.path->post_backward(*st.x, *st.f, dx_next, dx, df);
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
    st.path->pre_backward(*st.x, dy, dx);
    st.phase = Phase::fresh;
}

TensorView HyperConnection::h_pre() const { return state_->path->h_pre(state_->tokens); }
TensorView HyperConnection::h_post() const { return state_->path->h_post(state_->tokens); }
TensorView HyperConnection::h_res() const { return state_->path->h_res(state_->tokens); }

}  // namespace gomhc
