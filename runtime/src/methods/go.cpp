// go (go-mHC): K = n(n-1)/2 skew parameters, n = d*s; the Cayley map gives
// an orthogonal Q and the block Hadamard-square projection the exactly
// doubly stochastic H_res (docs/math.md section 2). Starts at N(0, 0.1^2).
#include "go_mixer.h"

namespace gomhc::detail {

namespace {

void check_shape(const std::string &where, int d, int s) {
    if (int64_t(d) * s > kMaxN) {
        throw InvalidArgument(where + "n = d*s = " + std::to_string(int64_t(d) * s) +
                              ", expected n <= " + std::to_string(kMaxN));
    }
}

void initial_logits(int, int, SeededNormal &normal, float *logits, int64_t count) {
    constexpr double kSigma = 0.1;
    for (int64_t i = 0; i < count; i++) {
        logits[i] = float(kSigma * normal.next());
    }
}

const MethodSpec spec{
    Method::go,
    "go",
    check_shape,
    [](int d, int s) {
        const int64_t n = int64_t(d) * s;
        return n * (n - 1) / 2;
    },
    initial_logits,
    [](int d, int s) -> std::unique_ptr<MethodMixer> { return std::make_unique<GoMixer>(d, s); }};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail
