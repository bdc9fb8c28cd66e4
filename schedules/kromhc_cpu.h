// CPU schedule of KromHC: tasks of tokens in parallel. A token's work (d*d
// cells, each a product over m = log2 d levels) is too small, and of a
// run-time size, to fill vector lanes, so the lanes run across vector_width
// tokens, as in the Cayley map: the loops over cells and levels stay scalar,
// the arithmetic is in vectors, and each factor's sigmoid is taken once per
// token and level.
#pragma once

#include <vector>

#include "schedules/cpu_common.h"
#include "schedules/kromhc_stages.h"

namespace gomhc {

// Splits out's tokens into parallel tasks of blocks of vector_width tokens,
// lanes across a block's tokens and `cells` inside; returns the block Var,
// where the per-token stages are computed.
inline Var kromhc_token_blocks(Func out, const std::vector<VarOrRVar> &cells, Var t,
                               const ScheduleKnobs &knobs) {
    Var t_block("t_block"), t_lane("t_lane");
    const Var t_task = cpu_token_tasks(out, t, knobs);
    std::vector<VarOrRVar> order{t_lane};
    order.insert(order.end(), cells.begin(), cells.end());
    order.push_back(t_block);
    order.push_back(t_task);
    out.split(t, t_block, t_lane, knobs.vector_width, TailStrategy::GuardWithIf)
        .reorder(order)
        .vectorize(t_lane);
    return t_block;
}

// A stage computed per block, lanes across its tokens; its update (if any)
// runs the loops `inner` (innermost first) inside the token lanes.
inline void kromhc_block_stage(Func f, Func out, Var at, Var t, const std::vector<VarOrRVar> &inner,
                               const ScheduleKnobs &knobs) {
    f.compute_at(out, at).vectorize(t, knobs.vector_width, TailStrategy::GuardWithIf);
    if (f.has_update_definition()) {
        std::vector<VarOrRVar> order{t};
        order.insert(order.end(), inner.begin(), inner.end());
        f.update().reorder(order).vectorize(t, knobs.vector_width, TailStrategy::GuardWithIf);
    }
}

inline void schedule_kromhc_forward_cpu(KromhcForwardStages &s, const ScheduleKnobs &knobs) {
    Var block = kromhc_token_blocks(s.h, {s.col, s.row}, s.t, knobs);
    kromhc_block_stage(s.diagonal, s.h, block, s.t, {}, knobs);
    kromhc_block_stage(s.product, s.h, block, s.t, {s.levels.x, s.col, s.row}, knobs);
}

inline void schedule_kromhc_backward_cpu(KromhcBackwardStages &s, const ScheduleKnobs &knobs) {
    Var block = kromhc_token_blocks(s.dlogits, {s.l}, s.t, knobs);
    kromhc_block_stage(s.diagonal, s.dlogits, block, s.t, {}, knobs);
    kromhc_block_stage(s.others, s.dlogits, block, s.t, {s.levels.x, s.l, s.col, s.row}, knobs);
    kromhc_block_stage(s.level_sum, s.dlogits, block, s.t, {s.cells.x, s.cells.y, s.l}, knobs);
}

}  // namespace gomhc
