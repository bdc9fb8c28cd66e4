// CUDA schedule of the elementwise add: one thread per element.
#pragma once

#include "generators/stages.h"

namespace gomhc {

inline void schedule_accumulate_cuda(AccumulateStages &s, const ScheduleKnobs &knobs) {
    Var block("block"), thread("thread");
    s.sum.gpu_tile(s.i, block, thread, knobs.gpu_threads, TailStrategy::GuardWithIf);
}

}  // namespace gomhc
