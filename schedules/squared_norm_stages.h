// The stages of the squared norm algorithm (generators/squared_norm_generator.cpp) that its CPU
// and GPU schedules (schedules/squared_norm_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Squared norm: `chunk_sum` (chunk) over `in_chunk`, then `total` over the
// chunks, copied into squared_norm (0).
struct SquaredNormStages {
    Func squared_norm, total, chunk_sum;
    RDom in_chunk;
    Var chunk, i;
};

}  // namespace gomhc
