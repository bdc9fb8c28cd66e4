// CUDA schedule of Sinkhorn: one thread per token runs the whole scan in its
// own memory; d is small, so a token's work is a few thousand exponentials.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline Var sinkhorn_gpu_threads(Func out, Var col, Var row, Var t, const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    out.reorder(col, row, t)
        .gpu_tile(t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    return thread;
}

inline void schedule_sinkhorn_forward_cuda(SinkhornForwardStages &s, const ScheduleKnobs &knobs) {
    Var thread = sinkhorn_gpu_threads(s.h, s.col, s.row, s.t, knobs);
    for (Func f : {s.logits_t, s.scan, s.potential}) {
        f.compute_at(s.h, thread);
    }
}

inline void schedule_sinkhorn_backward_cuda(SinkhornBackwardStages &s, const ScheduleKnobs &knobs) {
    Var thread = sinkhorn_gpu_threads(s.dlogits, s.col, s.row, s.t, knobs);
    for (Func f : {s.logits_t, s.dh_t, s.scan, s.potential, s.weighted, s.adjoint, s.dl_sum}) {
        f.compute_at(s.dlogits, thread);
    }
}

}  // namespace gomhc
