// The stages of the embedding algorithm (generators/embedding_generator.cpp) that its CPU
// and GPU schedules (schedules/embedding_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

// Embedding: `out` (c, stream, position, sequence) copies each token's
// `row` (c, position, sequence) = wte + wpe into every stream.
struct EmbeddingForwardStages {
    Func out, row;
    Var c, j, p, b;
};

// Embedding backward: `token_grad` (c, p, b) sums the streams' gradients
// over `streams`; `dwte_sum` (c, v) scatters them over `all` tokens in
// order, `dwpe_sum` (c, p) sums them over the `sequences` RDom (position x,
// sequence y); dwte and dwpe copy the sums out.
struct EmbeddingBackwardStages {
    Func dwte, dwpe, dwte_sum, dwpe_sum, token_grad;
    RDom all, streams, sequences;
    Var c, v, p, b;
};

}  // namespace gomhc
