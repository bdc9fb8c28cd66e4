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

}  // namespace gomhc
