// gomhc float64 reference of the GPT trainer's ops (docs/math.md section 5),
// written plainly: explicit loops, one token at a time.
#pragma once

#include <cstdint>

#include "gomhc_reference.h"

namespace gomhc::reference {

constexpr double kLayerNormEps = 1e-5;

// x [T][C], gamma [C], beta [C] -> y [T][C], mean [T], rstd [T].
struct LayerNormForward {
    Vec y, mean, rstd;
};
LayerNormForward layernorm_forward(int64_t tokens, int64_t c, const Vec &x, const Vec &gamma,
                                   const Vec &beta);

// dy [T][C] and the forward's inputs -> dx [T][C], dgamma [C], dbeta [C].
struct LayerNormBackward {
    Vec dx, dgamma, dbeta;
};
LayerNormBackward layernorm_backward(int64_t tokens, int64_t c, const Vec &dy, const Vec &x,
                                     const Vec &gamma);

// GELU, tanh form: y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), and its
// derivative times dy.
Vec gelu_forward(const Vec &x);
Vec gelu_backward(const Vec &x, const Vec &dy);

}  // namespace gomhc::reference
