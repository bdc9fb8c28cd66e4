// CUDA schedule of the Cayley map.
//
// One thread solves one token's system in its own local memory; a block holds
// gpu_threads tokens. Tokens are independent, so this needs no
// synchronisation, and consecutive threads read consecutive tokens.
#pragma once

#include "generators/stages.h"

namespace gomhc {

// The generic kernel's n is only known at run time, but a GPU thread's local
// array needs a fixed size: bound it by the largest n the library accepts.
constexpr int kMaxGenericN = 64;

inline void schedule_cayley_forward_cuda(CayleyForwardStages &s, const ScheduleKnobs &knobs,
                                         int n_fixed) {
    Var t_block("t_block"), t_thread("t_thread");
    s.q.split(s.t, t_block, t_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.col, s.row, t_thread, t_block)
        .gpu_blocks(t_block)
        .gpu_threads(t_thread);
    s.system.compute_at(s.q, t_thread);
    std::vector<Func> refinement = s.gram_error;
    refinement.push_back(s.solved);
    refinement.insert(refinement.end(), s.gram_error_full.begin(), s.gram_error_full.end());
    refinement.insert(refinement.end(), s.correction.begin(), s.correction.end());
    refinement.insert(refinement.end(), s.refined.begin(), s.refined.end());
    for (Func f : refinement) {
        f.compute_at(s.q, t_thread);
    }
    if (n_fixed > 0) {
        s.params_t.compute_at(s.q, t_thread);
        s.system.update(0).unroll(s.forward_elimination.y);
        s.system.update(1).unroll(s.back_substitution.y);
    } else {
        s.system.bound(s.col, 0, 2 * kMaxGenericN).bound(s.row, 0, kMaxGenericN);
        for (Func f : refinement) {
            f.bound(s.col, 0, kMaxGenericN).bound(s.row, 0, kMaxGenericN);
        }
    }
}

inline void schedule_cayley_backward_cuda(CayleyBackwardStages &s, const ScheduleKnobs &knobs,
                                          int n_fixed) {
    Var t_block("t_block"), t_thread("t_thread");
    s.dparams.split(s.t, t_block, t_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.k, t_thread, t_block)
        .gpu_blocks(t_block)
        .gpu_threads(t_thread);
    for (Func f : {s.qt, s.gt, s.w, s.grad_a}) {
        f.compute_at(s.dparams, t_thread);
        if (n_fixed == 0) {
            f.bound(s.col, 0, kMaxGenericN).bound(s.row, 0, kMaxGenericN);
        }
    }
}

}  // namespace gomhc
