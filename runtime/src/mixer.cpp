// gomhc::Mixer: checks a call and runs its method's mixer
// (methods/<name>.cpp), keeping the last forward's logits for the backward.
#include <optional>
#include <string>

#include "methods/method.h"
#include "op_support.h"

namespace gomhc {

using namespace detail;

struct Mixer::State {
    Method method;
    int d, s;
    int64_t logits_count;
    std::unique_ptr<MethodMixer> impl;

    // The last forward: its logits (a view, for the backward).
    bool forward_done = false;
    int64_t tokens = 0;
    Device device = Device::host;
    std::optional<TensorView> logits;
    std::string forward_op, backward_op;  // for messages, built once
};

Mixer::Mixer(Method method, int d, int s) : state_(std::make_unique<State>()) {
    check_method_shape(method, d, s);
    const MethodSpec &spec = method_spec(method);
    state_->method = method;
    state_->d = d;
    state_->s = s;
    state_->logits_count = spec.logit_count(d, s);
    state_->impl = spec.make_mixer(d, s);
    state_->forward_op = "gomhc::Mixer(" + std::string(spec.name) + ")::forward";
    state_->backward_op = "gomhc::Mixer(" + std::string(spec.name) + ")::backward";
}

Mixer::~Mixer() = default;
Mixer::Mixer(Mixer &&) noexcept = default;
Mixer &Mixer::operator=(Mixer &&) noexcept = default;

Method Mixer::method() const { return state_->method; }
int Mixer::d() const { return state_->d; }
int Mixer::s() const { return state_->s; }
int64_t Mixer::logit_count() const { return state_->logits_count; }

void Mixer::forward(const TensorView &logits, const TensorView &h_res) {
    State &st = *state_;
    const char *op = st.forward_op.c_str();
    const int64_t tokens = leading_tokens(op, "logits", logits, 2);
    const int64_t d = st.d, k = st.logits_count;
    const Device device =
        check_args(op, {{"logits", logits, {tokens, k}, "[tokens][residual logits]", true},
                        {"h_res", h_res, {tokens, d, d}, "[tokens][d][d]", false}});
    st.forward_done = false;
    st.impl->forward(op, logits, h_res);
    st.logits = logits;
    st.tokens = tokens;
    st.device = device;
    st.forward_done = true;
}

void Mixer::backward(const TensorView &dh_res, const TensorView &dlogits) {
    State &st = *state_;
    const char *op = st.backward_op.c_str();
    if (!st.forward_done) {
        throw InvalidArgument(std::string(op) +
                              ": called before forward; backward uses the last forward's logits");
    }
    const int64_t tokens = st.tokens, d = st.d, k = st.logits_count;
    const Device device =
        check_args(op, {{"dh_res",
                         dh_res,
                         {tokens, d, d},
                         "[tokens][d][d] with the tokens of the last forward",
                         true},
                        {"dlogits", dlogits, {tokens, k}, "[tokens][residual logits]", false}});
    if (device != st.device) {
        throw InvalidArgument(std::string(op) + ": the tensors are in " + device_name(device) +
                              " memory but the last forward ran on the other device");
    }
    st.impl->backward(op, *st.logits, dh_res, dlogits);
}

}  // namespace gomhc
