// GPU schedule of the stream embedding: one thread per element forward; one
// thread per (stream, feature) backward, summing the tokens in order.
#pragma once

#include "schedules/gpu_common.h"
#include "schedules/stream_embed_stages.h"

namespace gomhc {

inline void schedule_stream_embed_forward_gpu(StreamEmbedForwardStages &s,
                                              const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.out, knobs);
}

inline void schedule_stream_embed_backward_gpu(StreamEmbedBackwardStages &s,
                                               const ScheduleKnobs &knobs) {
    s.sum.compute_root();
    gpu_thread_per_element(s.sum, knobs);
    Var c_block("c_block"), c_thread("c_thread");
    s.sum.update()
        .split(s.c, c_block, c_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.tokens, c_thread, c_block, s.j)
        .gpu_blocks(c_block, s.j)
        .gpu_threads(c_thread);
    gpu_thread_per_element(s.dwse, knobs);
}

}  // namespace gomhc
