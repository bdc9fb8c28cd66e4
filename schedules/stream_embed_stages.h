// The stages of the stream embedding (generators/stream_embed_generator.cpp)
// that its CPU and GPU schedules (schedules/stream_embed_cpu.h, _gpu.h)
// place: the hand-off between the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// out (c, stream, token) = x + wse.
struct StreamEmbedForwardStages {
    Func out;
    Var c, j, t;
};

// dwse (c, stream) copies `sum`, which adds dout over the `tokens` RDom.
struct StreamEmbedBackwardStages {
    Func dwse, sum;
    RDom tokens;
    Var c, j;
};

}  // namespace gomhc
