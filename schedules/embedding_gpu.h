// GPU schedule of the embedding: one thread per output element forward;
// backward, one thread per feature walks the tokens in order for the
// scatter (blocks over feature ranges), and one per (feature, position)
// sums the sequences.
#pragma once

#include "schedules/embedding_stages.h"
#include "schedules/gpu_common.h"

namespace gomhc {

inline void schedule_embedding_forward_gpu(EmbeddingForwardStages &s, const ScheduleKnobs &knobs) {
    gpu_thread_per_element(s.out, knobs);
}

inline void schedule_embedding_backward_gpu(EmbeddingBackwardStages &s,
                                            const ScheduleKnobs &knobs) {
    Var token("token"), c_block("c_block"), c_thread("c_thread");
    for (Func f : {s.token_grad, s.dwte_sum, s.dwpe_sum}) {
        f.compute_root();
        gpu_thread_per_element(f, knobs);
    }
    s.token_grad.update()
        .fuse(s.p, s.b, token)
        .split(s.c, c_block, c_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.streams, c_thread, c_block, token)
        .gpu_blocks(c_block, token)
        .gpu_threads(c_thread);
    s.dwte_sum.update()
        .split(s.c, c_block, c_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.all.x, s.all.y, c_thread, c_block)
        .gpu_blocks(c_block)
        .gpu_threads(c_thread);
    s.dwpe_sum.update()
        .split(s.c, c_block, c_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.sequences.y, c_thread, c_block, s.sequences.x)
        .gpu_blocks(c_block, s.sequences.x)
        .gpu_threads(c_thread);
    gpu_thread_per_element(s.dwte, knobs);
    gpu_thread_per_element(s.dwpe, knobs);
}

}  // namespace gomhc
