// Shared pieces of the CPU schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Splits `f`'s tokens into parallel tasks of knobs.tokens_per_task tokens
// (t becomes the token within its task); returns the task loop's Var.
inline Var cpu_token_tasks(Func f, Var t, const ScheduleKnobs &knobs) {
    Var t_task("t_task");
    f.split(t, t_task, t, knobs.tokens_per_task, TailStrategy::GuardWithIf).parallel(t_task);
    return t_task;
}

// An elementwise op over a flat array: vectors of vector_width, handed to
// the threads in chunks of tokens_per_task vectors.
inline void cpu_elementwise(Func f, Var i, const ScheduleKnobs &knobs) {
    Var chunk("chunk");
    f.split(i, chunk, i, knobs.vector_width * knobs.tokens_per_task, TailStrategy::GuardWithIf)
        .parallel(chunk)
        .vectorize(i, knobs.vector_width, TailStrategy::GuardWithIf);
}

}  // namespace gomhc
