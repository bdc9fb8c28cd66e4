// CPU schedule of the stream embedding: the forward streams tokens to the
// threads with lanes along the features; the backward gives each thread
// some streams' rows, each summed over the tokens in order.
#pragma once

#include "schedules/cpu_common.h"
#include "schedules/stream_embed_stages.h"

namespace gomhc {

inline void schedule_stream_embed_forward_cpu(StreamEmbedForwardStages &s,
                                              const ScheduleKnobs &knobs) {
    cpu_token_tasks(s.out, s.t, knobs);
    s.out.vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
}

inline void schedule_stream_embed_backward_cpu(StreamEmbedBackwardStages &s,
                                               const ScheduleKnobs &knobs) {
    s.sum.compute_at(s.dwse, s.j).vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    s.sum.update()
        .reorder(s.c, s.tokens)
        .vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
    s.dwse.parallel(s.j).vectorize(s.c, knobs.vector_width, TailStrategy::GuardWithIf);
}

}  // namespace gomhc
