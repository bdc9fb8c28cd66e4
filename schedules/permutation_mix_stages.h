// The stages of the permutation mix algorithm (generators/permutation_mix_generator.cpp) that its
// CPU and GPU schedules (schedules/permutation_mix_cpu.h, _gpu.h) place: the hand-off between the
// algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// mHC-lite: the softmax over the permutation logits (`largest`, `exponential`,
// `total`, summed over `all`); the forward's `mixed` adds each weight into the
// cells its permutation selects; the backward reads dH along each permutation
// (`picked`) and removes the weighted mean.
struct PermutationMixWeights {
    Func largest, exponential, total;
    RDom all;

    // Computes the softmax (the weights `w` too) once per `at` of `parent`.
    void compute_at(Func w, Func parent, Var at) {
        for (Func f : {largest, exponential, total, w}) {
            f.compute_at(parent, at);
        }
    }
};

struct PermutationMixForwardStages {
    Func h, mixed, w;
    PermutationMixWeights weights;
    RDom perms;
    Var col, row, t;
};

struct PermutationMixBackwardStages {
    Func dlogits, picked, mean, w;
    PermutationMixWeights weights;
    RDom rows;
    Var k, t;
};

}  // namespace gomhc
