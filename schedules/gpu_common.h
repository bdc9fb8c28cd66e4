// Shared pieces of the GPU schedules (CUDA and OpenCL: the same Halide GPU
// directives).
#pragma once

#include <vector>

#include "schedules/stages.h"

namespace gomhc {

// One GPU thread per element of `f`: its dimensions fused, innermost first,
// so consecutive threads take consecutive elements and their loads and
// stores coalesce. Returns the thread Var, so a reduction can be computed
// inside it.
inline Var gpu_thread_per_element(Func f, const ScheduleKnobs &knobs) {
    std::vector<Var> dims = f.args();
    Var element = dims[0];
    for (size_t i = 1; i < dims.size(); i++) {
        Var fused(element.name() + "_" + dims[i].name());
        f.fuse(element, dims[i], fused);
        element = fused;
    }
    Var block("block"), thread("thread");
    f.gpu_tile(element, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    return thread;
}

// One GPU thread per token for the ops whose per-token work is a small
// matrix: `out`'s other dimensions (`cells`, innermost first) run inside the
// thread. Returns the thread Var, where the token's producers go.
inline Var gpu_thread_per_token(Func out, const std::vector<VarOrRVar> &cells, Var t,
                                const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    std::vector<VarOrRVar> order = cells;
    order.push_back(t);
    out.reorder(order).gpu_tile(t, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
    return thread;
}

// For the ops that give a token a whole block: spreads the cells (col, row)
// of one stage of the token's matrix over the block's `threads` threads,
// numbered row-major so that neighbouring threads take neighbouring columns
// (neighbouring shared-memory banks). The stage's loops over `col` and `row`
// must be adjacent, `col` inside. Returns the thread Var, where a producer
// that each cell needs for itself alone goes.
inline Var gpu_threads_over_cells(Stage stage, VarOrRVar col, VarOrRVar row, int threads) {
    Var cell("cell"), cell_step("cell_step"), cell_thread("cell_thread");
    stage.fuse(col, row, cell)
        .split(cell, cell_step, cell_thread, threads, TailStrategy::GuardWithIf)
        .gpu_threads(cell_thread);
    return cell_thread;
}

}  // namespace gomhc
