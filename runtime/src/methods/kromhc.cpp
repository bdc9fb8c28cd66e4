// kromhc: d = 2^m, K = m logits; t_l = sigmoid(logit_l) and
// H_res = B_0 (x) ... (x) B_{m-1} with B_l = [[t_l, 1-t_l], [1-t_l, t_l]]
// (generators/kromhc_generator.cpp). Starts at logit(0.95) + N(0, 0.01^2).
#include <cmath>

#include "method.h"
#include "op_support.h"

namespace gomhc::detail {
namespace {

class KromhcMixer : public MethodMixer {
public:
    explicit KromhcMixer(int d) : d_(d) {}

    void forward(const char *op, const TensorView &logits, const TensorView &h_res) override {
        if (logits.shape()[1] == 0) {
            fill(h_res, 1.0f);  // d = 1
            return;
        }
        const int64_t d = d_;
        auto fn = find_kernel(op, kernels::kromhc_forward_variants, logits.device());
        call_sliced(op, fn, logits.shape()[0], d * d, d_, logits, h_res);
    }
    void backward(const char *op, const TensorView &logits, const TensorView &dh_res,
                  const TensorView &dlogits) override {
        if (logits.shape()[1] == 0) {
            return;
        }
        const int64_t d = d_;
        auto fn = find_kernel(op, kernels::kromhc_backward_variants, logits.device());
        call_sliced(op, fn, logits.shape()[0], d * d, d_, logits, dh_res, dlogits);
    }

private:
    int d_;
};

bool power_of_two(int d) { return d >= 1 && (d & (d - 1)) == 0; }

void check_shape(const std::string &where, int d, int) {
    if (!power_of_two(d) || d > kMaxN) {
        throw InvalidArgument(where + "d = " + std::to_string(d) +
                              " is not a power of 2 (<= " + std::to_string(kMaxN) +
                              "); KromHC is a Kronecker product of 2 x 2 factors");
    }
}

int64_t logit_count(int d, int) {
    int m = 0;
    while ((1 << m) < d) {
        m++;
    }
    return m;
}

void initial_logits(int, int, SeededNormal &normal, float *logits, int64_t count) {
    constexpr double kIdentityWeight = 0.95;
    const double start = std::log(kIdentityWeight / (1.0 - kIdentityWeight));
    for (int64_t i = 0; i < count; i++) {
        logits[i] = float(start + kStartJitter * normal.next());
    }
}

const MethodSpec spec{
    Method::kromhc,
    "kromhc",
    check_shape,
    logit_count,
    initial_logits,
    [](int d, int) -> std::unique_ptr<MethodMixer> { return std::make_unique<KromhcMixer>(d); }};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail
