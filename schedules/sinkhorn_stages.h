// The stages of the sinkhorn algorithm (generators/sinkhorn_generator.cpp) that its CPU
// and GPU schedules (schedules/sinkhorn_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Sinkhorn (mHC baseline): `logits_t` is the logits token innermost; `scan`
// holds each potential's running (max, sum of exponentials) over the `steps`
// RDom (q, node, iteration); `potential` reads the potentials off it. The
// backward's `adjoint` is scattered over the `reverse` scan, and `dl_sum`
// collects dL over `iters`.
struct SinkhornForwardStages {
    Func h, logits_t, scan, potential;
    RDom steps;
    Var t, m, k, col, row;
};

struct SinkhornBackwardStages {
    Func dlogits, dl_sum, dh_t, weighted, adjoint, logits_t, scan, potential;
    RDom steps, reverse, iters;
    Var t, m, k, col, row;
};

}  // namespace gomhc
