// The stages of the coefficients algorithm (generators/coefficients_generator.cpp) that its CPU
// and GPU schedules (schedules/coefficients_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Coefficient path forward: `coefficient(k, t)` holds z = x' W^T for k < K
// and 1/rms(x) at k = K, built from `lanes` (vector_width partial dot products
// per coefficient), `lanes_tail` (features past the last full vector) and the
// per-token `inverse_rms` (from `square_lanes` / `square_tail`). The outputs
// are cheap pointwise functions of it, except y, which reads X again with the
// gates `pre_gate` (H_pre, computed from `coefficient` as the h_pre output is).
struct CoefficientsForwardStages {
    Func coefficient, lanes, lanes_tail, square_lanes, square_tail, inverse_rms;
    Func y, y_sum, pre_gate, h_pre, h_post, logits, z, inv_rms;
    RDom full_vectors, tail, streams;
    Var c, j, k, t, lane;
};

// Coefficient path backward (with the read's backward): `dh_pre` (a dot product
// of dy with each stream), the gradient `g` of the pre-activation z, `du` =
// g / rms, `gz` = sum_k g z; dx adds the product `dx_product` = du W and the
// norm and read terms; dw adds `dw_sum`, the sum over blocks of tokens of
// `dw_block` = sum_t du x; db and da are small sums. `x_edge` and `w_edge` are
// the edge-clamped reads of X and W that the register tiles use.
struct CoefficientsBackwardStages {
    Func dh_pre, dh_pre_sum, activation_grad, g, du, gz, gz_sum, x_edge, w_edge;
    Func dx, dx_product, dw, dw_sum, dw_block, db, db_sum, da, da_sum;
    RDom features, coefficients, in_block, blocks, tokens, token_coefficients;
    Var c, j, k, t, i, b;
};

}  // namespace gomhc
