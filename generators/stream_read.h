// The stream read y[c] = sum_j H[j] X[j][c] and its gradients, written once:
// the stream read kernels, the sum of the streams (H = 1) and the
// coefficient path's fused read (H = H_pre as it is computed) all build it
// from here (docs/math.md section 1).
//   dX[j][c] = H[j] dy[c],   dH[j] = sum_c dy[c] X[j][c]
#pragma once

#include "Halide.h"

namespace gomhc {

using namespace Halide;

// y_sum(c, t) = sum over `streams` of weight(j, t) x(c, j, t): a pure
// definition and one update, so a schedule can keep the sum in registers.
inline void define_stream_read(Func y_sum, const Func &weight, const Func &x, const RDom &streams,
                               const Var &c, const Var &t) {
    y_sum(c, t) = 0.0f;
    y_sum(c, t) += weight(streams, t) * x(c, streams, t);
}

// The read's part of dX[j][c]: weight[j] dy[c].
inline Expr stream_read_input_gradient(const Func &weight, const Func &dy, const Var &c,
                                       const Var &j, const Var &t) {
    return weight(j, t) * dy(c, t);
}

// dweight_sum(j, t) = sum over `features` of dy(c, t) x(c, j, t).
inline void define_stream_read_weight_gradient(Func dweight_sum, const Func &x, const Func &dy,
                                               const RDom &features, const Var &j, const Var &t) {
    dweight_sum(j, t) = 0.0f;
    dweight_sum(j, t) += dy(features, t) * x(features, j, t);
}

}  // namespace gomhc
