// CPU schedule of the embedding: threads take tokens_per_task tokens at a
// time and vectorise along the features. The backward's scatter keeps the
// tokens in order and splits the features over the threads instead.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/embedding_stages.h"

namespace gomhc {

inline void schedule_embedding_forward_cpu(EmbeddingForwardStages &s, const ScheduleKnobs &knobs) {
    Var token("token");
    s.out.fuse(s.p, s.b, token);
    cpu_token_tasks(s.out, token, knobs);
    s.out.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    s.row.compute_at(s.out, token).vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
}

inline void schedule_embedding_backward_cpu(EmbeddingBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    Var token("token"), c_task("c_task");
    s.token_grad.compute_root()
        .fuse(s.p, s.b, token)
        .parallel(token)
        .vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    s.token_grad.update()
        .reorder(s.c, s.streams, s.p, s.b)
        .fuse(s.p, s.b, token)
        .parallel(token)
        .vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);

    for (Func sum : {s.dwte_sum, s.dwpe_sum}) {
        Var row = sum.args()[1];
        sum.compute_root().parallel(row).vectorize(s.c, knobs.vector_width,
                                                   TailStrategy::GuardWithIf);
    }
    s.dwte_sum.update()
        .split(s.c, c_task, s.c, knobs.vector_width, TailStrategy::GuardWithIf)
        .reorder(s.c, s.all.x, s.all.y, c_task)
        .vectorize(s.c)
        .parallel(c_task);
    s.dwpe_sum.update()
        .reorder(s.c, s.sequences.y, s.sequences.x)
        .parallel(s.sequences.x)
        .vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    for (Func out : {s.dwte, s.dwpe}) {
        out.parallel(out.args()[1]).vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    }
}

}  // namespace gomhc
