// The stages of the layernorm algorithm (generators/layernorm_generator.cpp) that its CPU
// and GPU schedules (schedules/layernorm_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// LayerNorm: the outputs y (c, t), mean (t), rstd (t) and the per-token sums
// behind mean and rstd (`sum`, `square_sum`, reduced over the features).
struct LayernormForwardStages {
    Func y, mean, rstd, sum, square_sum;
    Var c, t;
};

// LayerNorm backward: dx (c, t) from the per-token sums of gamma * dy and of
// gamma * dy * normalized x; dgamma (c) and dbeta (c) copied from their sums
// over tokens (`dgamma_sum`, `dbeta_sum`).
struct LayernormBackwardStages {
    Func dx, dgamma, dbeta, scaled_sum, scaled_normalized_sum, dgamma_sum, dbeta_sum;
    Var c, t;
};

}  // namespace gomhc
