// CPU schedule of KromHC: tasks of tokens in parallel. A token's work (d*d
// cells, each a product over m = log2 d levels) is too small, and of a
// run-time size, to fill vector lanes, so the lanes run across vector_width
// tokens, as in the Cayley map: the loops over cells and levels stay scalar,
// the arithmetic is in vectors, and each factor's sigmoid is taken once per
// token and level.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_kromhc_forward_cpu(KromhcForwardStages &s, const ScheduleKnobs &knobs) {
    Var t_task("t_task"), t_block("t_block"), t_lane("t_lane");
    const int lanes = knobs.vector_width;
    s.h.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .split(s.t, t_block, t_lane, lanes, TailStrategy::GuardWithIf)
        .reorder(t_lane, s.col, s.row, t_block, t_task)
        .vectorize(t_lane)
        .parallel(t_task);
    for (Func f : {s.diagonal, s.product}) {
        f.compute_at(s.h, t_block).vectorize(s.t, lanes, TailStrategy::GuardWithIf);
    }
    s.product.update()
        .reorder(s.t, s.levels.x, s.col, s.row)
        .vectorize(s.t, lanes, TailStrategy::GuardWithIf);
}

inline void schedule_kromhc_backward_cpu(KromhcBackwardStages &s, const ScheduleKnobs &knobs) {
    Var t_task("t_task"), t_block("t_block"), t_lane("t_lane");
    const int lanes = knobs.vector_width;
    s.dlogits.split(s.t, t_task, s.t, knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .split(s.t, t_block, t_lane, lanes, TailStrategy::GuardWithIf)
        .reorder(t_lane, s.l, t_block, t_task)
        .vectorize(t_lane)
        .parallel(t_task);
    for (Func f : {s.diagonal, s.others, s.level_sum}) {
        f.compute_at(s.dlogits, t_block).vectorize(s.t, lanes, TailStrategy::GuardWithIf);
    }
    s.others.update()
        .reorder(s.t, s.levels.x, s.l, s.col, s.row)
        .vectorize(s.t, lanes, TailStrategy::GuardWithIf);
    s.level_sum.update()
        .reorder(s.t, s.cells.x, s.cells.y, s.l)
        .vectorize(s.t, lanes, TailStrategy::GuardWithIf);
}

}  // namespace gomhc
