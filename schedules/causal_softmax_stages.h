// The stages of the causal softmax algorithm (generators/causal_softmax_generator.cpp) that its CPU
// and GPU schedules (schedules/causal_softmax_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Causal softmax: per row (q, h), the `largest` scaled score and `exp_sum`
// of the `exponential`s over the `keys` k <= q, then probs (k, q, h).
struct CausalSoftmaxForwardStages {
    Func probs, largest, exp_sum, exponential;
    RDom keys;
    Var k, q, h;
};

// Causal softmax backward: per row, the `dot` of P and dP over the `keys`,
// then dscores (k, q, h).
struct CausalSoftmaxBackwardStages {
    Func dscores, dot;
    RDom keys;
    Var k, q, h;
};

}  // namespace gomhc
