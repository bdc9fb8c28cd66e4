// The stages of the cross entropy algorithm (generators/cross_entropy_generator.cpp) that its CPU
// and GPU schedules (schedules/cross_entropy_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Cross-entropy: per token t, the `largest` logit and `exp_sum` over the
// `vocab` RDom, giving lse (t) and loss (t).
struct CrossEntropyForwardStages {
    Func loss, lse, largest, exp_sum;
    RDom vocab;
    Var t;
};

}  // namespace gomhc
