// The stages of the orthostochastic algorithm (generators/orthostochastic_generator.cpp) that its
// CPU and GPU schedules (schedules/orthostochastic_cpu.h, _gpu.h) place: the hand-off between the
// algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

struct OrthostochasticForwardStages {
    Func h, block_sum;
    RDom block;
    Var t, col, row;
    bool fixed_shape;
    int d;
};

struct OrthostochasticBackwardStages {
    Func dq;
    Var t, col, row;
    bool fixed_shape;
};

}  // namespace gomhc
