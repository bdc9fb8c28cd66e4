// mhc (manifold-constrained Hyper-Connections): K = d*d logits L, H_res the
// Sinkhorn-Knopp scaling of exp(L), 20 sweeps in the log domain
// (generators/sinkhorn_generator.cpp). Starts at 0 on the diagonal and -4
// off it, + N(0, 0.01^2).
#include "device_array.h"
#include "method.h"
#include "op_support.h"

namespace gomhc::detail {
namespace {

class MhcMixer : public MethodMixer {
public:
    explicit MhcMixer(int d) : d_(d) {}

    void forward(const char *op, const TensorView &logits, const TensorView &h_res) override {
        const int64_t tokens = logits.shape()[0], d = d_;
        auto fn = find_kernel(op, kernels::sinkhorn_forward_variants, logits.device(), d_);
        call_sliced(op, fn, tokens, d * d, d_, reshaped(logits, {tokens, d, d}), h_res);
    }
    void backward(const char *op, const TensorView &logits, const TensorView &dh_res,
                  const TensorView &dlogits) override {
        const int64_t tokens = logits.shape()[0], d = d_;
        auto fn = find_kernel(op, kernels::sinkhorn_backward_variants, logits.device(), d_);
        call_sliced(op, fn, tokens, d * d, d_, reshaped(logits, {tokens, d, d}), dh_res,
                    reshaped(dlogits, {tokens, d, d}));
    }

private:
    int d_;
};

void check_shape(const std::string &where, int d, int) {
    if (d > kMaxN) {
        throw InvalidArgument(where + "d = " + std::to_string(d) +
                              ", expected d <= " + std::to_string(kMaxN));
    }
}

void initial_logits(int d, int, SeededNormal &normal, float *logits, int64_t count) {
    constexpr double kOffDiagonalLogit = -4.0;
    for (int64_t i = 0; i < count; i++) {
        logits[i] =
            float((i / d == i % d ? 0.0 : kOffDiagonalLogit) + kStartJitter * normal.next());
    }
}

const MethodSpec spec{
    Method::mhc,
    "mhc",
    check_shape,
    [](int d, int) { return int64_t(d) * d; },
    initial_logits,
    [](int d, int) -> std::unique_ptr<MethodMixer> { return std::make_unique<MhcMixer>(d); }};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail
