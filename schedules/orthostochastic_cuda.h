// CUDA schedule of the block Hadamard-square projection: one thread per
// output element, consecutive threads on consecutive elements so that both
// the loads of Q and the stores coalesce.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void gpu_tile_elements(Func f, Var col, Var row, Var t, const ScheduleKnobs &knobs) {
    Var cell("cell"), element("element"), block("block"), thread("thread");
    f.fuse(col, row, cell)
        .fuse(cell, t, element)
        .gpu_tile(element, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
}

inline void schedule_orthostochastic_forward_cuda(OrthostochasticForwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    gpu_tile_elements(s.h, s.col, s.row, s.t, knobs);
    if (s.fixed_shape) {
        s.block_sum.update().unroll(s.block.x).unroll(s.block.y);
    }
}

inline void schedule_orthostochastic_backward_cuda(OrthostochasticBackwardStages &s,
                                                   const ScheduleKnobs &knobs) {
    gpu_tile_elements(s.dq, s.col, s.row, s.t, knobs);
}

}  // namespace gomhc
