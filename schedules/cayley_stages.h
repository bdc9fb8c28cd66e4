// The stages of the cayley algorithm (generators/cayley_generator.cpp) that its CPU
// and GPU schedules (schedules/cayley_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Cayley forward: system(t, col, row) is the augmented matrix [I + A | I]
// of one token, stored token innermost, reduced in place by
// `forward_elimination` and `back_substitution`;
// `solved` is its right half, re-orthogonalised by the `gram_error` (upper
// triangle of I - Q^T Q), `gram_error_full` (both triangles), `correction`
// and `refined` stages (one of each per Newton-Schulz step).
struct CayleyForwardStages {
    Func q, params_t, system, solved;
    std::vector<Func> gram_error, gram_error_full, correction, refined;
    RDom forward_elimination, back_substitution, gram_sum, refine_sum;
    Var t, col, row;
    bool fixed_n;
};

// Cayley backward: qt and gt are Q and dL/dQ token innermost; w = G (Q^T + I)
// and grad_a = -(1/2) (Q^T + I) w.
struct CayleyBackwardStages {
    Func dparams, qt, gt, w, grad_a;
    RDom w_sum, a_sum;
    Var t, col, row, k;
    bool fixed_n;
};

}  // namespace gomhc
