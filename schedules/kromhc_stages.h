// The stages of the kromhc algorithm (generators/kromhc_generator.cpp) that its CPU
// and GPU schedules (schedules/kromhc_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// KromHC: `factor` t_l = sigmoid(logit_l); the forward multiplies one 2 x 2
// factor entry per level into `product`; the backward sums dH times the
// product of the other levels (`others`) into `level_sum`.
struct KromhcForwardStages {
    Func h, product, diagonal;
    RDom levels;
    Var col, row, t, l;
};

struct KromhcBackwardStages {
    Func dlogits, level_sum, others, diagonal;
    RDom levels, cells;
    Var col, row, t, l;
};

}  // namespace gomhc
