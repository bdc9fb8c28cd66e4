// CPU schedule of Sinkhorn: tasks of tokens in parallel, and within a task
// vectors of vector_width tokens running the whole scan side by side (every
// intermediate is stored token innermost for that). The exponentials are
// the cost, and they vectorise across tokens.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/sinkhorn_stages.h"

namespace gomhc {

// Splits the output's tokens into parallel tasks and vector_width-token
// groups; returns the group Var that the scan is computed at.
inline Var sinkhorn_token_groups(Func out, Var col, Var row, Var t, const ScheduleKnobs &knobs) {
    Var t_group("t_group");
    const Var t_task = cpu_token_tasks(out, t, knobs);
    out.split(t, t_group, t, knobs.vector_width, TailStrategy::GuardWithIf)
        .reorder(t, col, row, t_group, t_task);
    return t_group;
}

// Token-innermost stage computed per group, vectorised across its tokens.
inline void sinkhorn_group_stage(Func f, Func out, Var at, Var t, const ScheduleKnobs &knobs) {
    f.compute_at(out, at).bound_extent(t, knobs.vector_width).vectorize(t);
    for (int i = 0; i < f.num_update_definitions(); i++) {
        f.update(i).vectorize(t);
    }
}

inline void schedule_sinkhorn_forward_cpu(SinkhornForwardStages &s, const ScheduleKnobs &knobs) {
    Var group = sinkhorn_token_groups(s.h, s.col, s.row, s.t, knobs);
    for (Func f : {s.logits_t, s.scan, s.potential}) {
        sinkhorn_group_stage(f, s.h, group, s.t, knobs);
    }
}

inline void schedule_sinkhorn_backward_cpu(SinkhornBackwardStages &s, const ScheduleKnobs &knobs) {
    Var group = sinkhorn_token_groups(s.dlogits, s.col, s.row, s.t, knobs);
    for (Func f : {s.logits_t, s.dh_t, s.scan, s.potential, s.weighted, s.adjoint, s.dl_sum}) {
        sinkhorn_group_stage(f, s.dlogits, group, s.t, knobs);
    }
}

}  // namespace gomhc
