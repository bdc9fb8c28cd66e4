// What every schedule shares: the shapes the autoschedulers plan for, the
// knobs, and the stages of the ops scheduled alike (elementwise, rowwise).
// Each algorithm's own stages, the hand-off between generators/ and
// schedules/, are in schedules/<family>_stages.h: a generator builds them in
// generate() and its CPU and GPU schedules decide where and how each stage
// is computed, so an algorithm is written once and scheduled per target.
#pragma once

#include <vector>

#include "Halide.h"

namespace gomhc {

using namespace Halide;

// Shapes the autoschedulers plan for: those of the benchmarks.
constexpr int kEstimateTokens = 4096;
constexpr int kEstimateFeatures = 768;
constexpr int kEstimateStreams = 4;
constexpr int kEstimateBlock = 2;
constexpr int kEstimateContext = 256;
constexpr int kEstimateSequences = 16;
constexpr int kEstimateVocabulary = 256;
constexpr int kEstimateHeads = 6;
constexpr float kEstimateAttentionScale = 0.125f;  // 1/sqrt(64)

// Knobs every schedule understands. Each is a GeneratorParam of the same name
// (GomhcGenerator in generators/common.h) so a tuner can set it; their
// defaults and the values tried are in registry.cmake.
struct ScheduleKnobs {
    int vector_width;     // CPU: SIMD lanes across tokens or features
    int tokens_per_task;  // CPU: tokens handed to one thread at a time
    int gpu_threads;      // GPU: threads per block
    int gpu_tokens;       // GPU: tokens per block for the feature-parallel ops
    int natural_lanes;    // float lanes of one of the target's vector registers
};

struct AccumulateStages {
    Func sum;
    Var i;
};

// An elementwise op over a flat array (GELU): its output `out` (i).
struct ElementwiseStages {
    Func out;
    Var i;
};

// An op over rows whose entries are computed independently: `out` (x, row).
struct RowwiseStages {
    Func out;
    Var x, row;
};

}  // namespace gomhc
