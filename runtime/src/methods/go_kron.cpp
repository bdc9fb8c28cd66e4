// go-kron: d = d1*d2 (d1 the largest divisor of d with 2 <= d1 <= sqrt(d)),
// H_res = H1 (x) H2 with each factor a go mixer of block size s
// (generators/kronecker_generator.cpp); K = n1(n1-1)/2 + n2(n2-1)/2, factor
// 1's logits first. Starts at N(0, 0.1^2).
#include "go_mixer.h"

namespace gomhc::detail {
namespace {

// d1 = the largest divisor of d with 2 <= d1 <= sqrt(d); 1 for a prime d.
int first_factor(int d) {
    int d1 = 1;
    for (int f = 2; f * f <= d; f++) {
        if (d % f == 0) {
            d1 = f;
        }
    }
    return d1;
}

int64_t pairs(int64_t n) { return n * (n - 1) / 2; }

class GoKronMixer : public MethodMixer {
public:
    GoKronMixer(int d, int s)
        : d1_(first_factor(d)), d2_(d / d1_), s_(s), first_(d1_, s), second_(d2_, s) {}

    void forward(const char *op, const TensorView &logits, const TensorView &h_res) override {
        const Device device = logits.device();
        const int64_t tokens = logits.shape()[0], k = logits.shape()[1];
        const int64_t d1 = d1_, d2 = d2_, k1 = pairs(d1 * s_), k2 = pairs(d2 * s_);
        p1_.reset(device, size_t(tokens * k1));
        p2_.reset(device, size_t(tokens * k2));
        h1_.reset(device, size_t(tokens * d1 * d1));
        h2_.reset(device, size_t(tokens * d2 * d2));
        // Each factor's logits are a column range of every row.
        const DeviceAddress from = address_of(logits);
        device_copy_rows(p1_.address(), size_t(k1), from, size_t(k), size_t(k1), size_t(tokens));
        device_copy_rows(p2_.address(), size_t(k2), from + k1, size_t(k), size_t(k2),
                         size_t(tokens));
        const TensorView h1 = h1_.view({tokens, d1, d1}), h2 = h2_.view({tokens, d2, d2});
        first_.forward(op, p1_.view({tokens, k1}), h1);
        second_.forward(op, p2_.view({tokens, k2}), h2);
        auto fn = find_kernel(op, kernels::kronecker_forward_variants, device);
        call_sliced(op, fn, tokens, (d1 * d2) * (d1 * d2), h1, h2, h_res);
    }

    void backward(const char *op, const TensorView &logits, const TensorView &dh_res,
                  const TensorView &dlogits) override {
        const Device device = logits.device();
        const int64_t tokens = logits.shape()[0], k = logits.shape()[1];
        const int64_t d1 = d1_, d2 = d2_, k1 = pairs(d1 * s_), k2 = pairs(d2 * s_);
        dh1_.reset(device, size_t(tokens * d1 * d1));
        dh2_.reset(device, size_t(tokens * d2 * d2));
        dp1_.reset(device, size_t(tokens * k1));
        dp2_.reset(device, size_t(tokens * k2));
        const TensorView h1 = h1_.view({tokens, d1, d1}), h2 = h2_.view({tokens, d2, d2});
        const TensorView dh1 = dh1_.view({tokens, d1, d1}), dh2 = dh2_.view({tokens, d2, d2});
        auto fn = find_kernel(op, kernels::kronecker_backward_variants, device);
        call_sliced(op, fn, tokens, (d1 * d2) * (d1 * d2), h1, h2, dh_res, dh1, dh2);
        first_.backward(op, p1_.view({tokens, k1}), dh1, dp1_.view({tokens, k1}));
        second_.backward(op, p2_.view({tokens, k2}), dh2, dp2_.view({tokens, k2}));
        const DeviceAddress out = address_of(dlogits);
        device_copy_rows(out, size_t(k), dp1_.address(), size_t(k1), size_t(k1), size_t(tokens));
        device_copy_rows(out + k1, size_t(k), dp2_.address(), size_t(k2), size_t(k2),
                         size_t(tokens));
    }

private:
    int d1_, d2_, s_;
    GoMixer first_, second_;
    DeviceArray p1_, p2_, h1_, h2_, dp1_, dp2_, dh1_, dh2_;
};

void check_shape(const std::string &where, int d, int s) {
    const int d1 = first_factor(d);
    if (d1 == 1) {
        throw InvalidArgument(where + "d = " + std::to_string(d) +
                              " is prime (or 1); go-kron needs d = d1*d2 with both factors >= 2 "
                              "(e.g. 4, 6, 8, 9)");
    }
    if (int64_t(d / d1) * s > kMaxN) {
        throw InvalidArgument(where + "factor size " + std::to_string(d / d1) + " times s = " +
                              std::to_string(s) + " exceeds n <= " + std::to_string(kMaxN));
    }
}

int64_t logit_count(int d, int s) {
    const int d1 = first_factor(d);
    return pairs(int64_t(d1) * s) + pairs(int64_t(d / d1) * s);
}

void initial_logits(int, int, SeededNormal &normal, float *logits, int64_t count) {
    constexpr double kSigma = 0.1;
    for (int64_t i = 0; i < count; i++) {
        logits[i] = float(kSigma * normal.next());
    }
}

const MethodSpec spec{Method::go_kron,
                      "go-kron",
                      check_shape,
                      logit_count,
                      initial_logits,
                      [](int d, int s) -> std::unique_ptr<MethodMixer> {
                          return std::make_unique<GoKronMixer>(d, s);
                      }};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail
