// hc (Hyper-Connections): H_res is the K = d*d logits themselves, a free
// d x d matrix. Starts at I + N(0, 0.01^2); with a home stream, as the
// Hyper-Connections paper starts (H_pre the home stream's unit vector,
// H_post = 1), as near as sigmoid gates come: H_pre 0.95 on the home stream
// and 0.05 elsewhere.
#include <cmath>

#include "method.h"

namespace gomhc::detail {
namespace {

class HcMixer : public MethodMixer {
public:
    void forward(const char *, const TensorView &logits, const TensorView &h_res) override {
        copy_view(logits, h_res);
    }
    void backward(const char *, const TensorView &, const TensorView &dh_res,
                  const TensorView &dlogits) override {
        copy_view(dh_res, dlogits);
    }
};

void check_shape(const std::string &where, int d, int) {
    if (d > kMaxN) {
        throw InvalidArgument(where + "d = " + std::to_string(d) +
                              ", expected d <= " + std::to_string(kMaxN));
    }
}

void initial_logits(int d, int, SeededNormal &normal, float *logits, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        logits[i] = float((i / d == i % d ? 1.0 : 0.0) + kStartJitter * normal.next());
    }
}

constexpr double kHomeWeight = 0.95;
const double kHomeLogit = std::log(kHomeWeight / (1.0 - kHomeWeight));

const MethodSpec spec{
    Method::hc,
    "hc",
    check_shape,
    [](int d, int) { return int64_t(d) * d; },
    initial_logits,
    [](int, int) -> std::unique_ptr<MethodMixer> { return std::make_unique<HcMixer>(); },
    nullptr,
    {kHomeLogit, -kHomeLogit, 0.0, 0.0}};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail
