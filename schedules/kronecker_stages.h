// The stages of the kronecker algorithm (generators/kronecker_generator.cpp) that its CPU
// and GPU schedules (schedules/kronecker_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Kronecker product H = H1 (x) H2 and its adjoint sums.
struct KroneckerForwardStages {
    Func h;
    Var col, row, t;
};

struct KroneckerBackwardStages {
    Func dh1, dh2, dh1_sum, dh2_sum;
    RDom inner, outer;
    Var col, row, t;
};

}  // namespace gomhc
