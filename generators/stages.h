// The named stages each algorithm exposes to its schedules. A generator
// builds these in generate(); the CPU and CUDA schedules in schedules/ decide
// where and how each stage is computed. Keeping the hand-off explicit is what
// lets an algorithm be written once and scheduled per target.
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

// Knobs every schedule understands. Each is a GeneratorParam of the same name
// (see GomhcGenerator) so a tuner can set it from the command line.
struct ScheduleKnobs {
    int vector_width;     // CPU: SIMD lanes across tokens or features
    int tokens_per_task;  // CPU: tokens handed to one thread at a time
    int gpu_threads;      // CUDA: threads per block
    int gpu_tokens;       // CUDA: tokens per block for the feature-parallel ops
};

// Cayley forward: system(t, col, row) is the augmented matrix [I + A | I - A]
// of one token, stored token innermost, reduced in place by `elimination`;
// `solved` is its right half, re-orthogonalised by the `gram_error` and
// `refined` stages (one of each per Newton-Schulz step).
struct CayleyForwardStages {
    Func q, params_t, system, solved;
    std::vector<Func> gram_error, refined;
    RDom elimination, gram_sum, refine_sum;
    Var t, col, row;
    bool fixed_n;
};

// Cayley backward: qt and gt are Q and dL/dQ token innermost; w = G (Q^T + I)
// and grad_a = -(1/2) (Q^T + I) w.
struct CayleyBackwardStages {
    Func dparams, qt, gt, w, grad_a;
    RDom w_sum, a_sum;
    Var t, col, row, k;
    bool fixed_n;
};

struct OrthostochasticForwardStages {
    Func h, block_sum;
    RDom block;
    Var t, col, row;
    bool fixed_shape;
    int d;
};

struct OrthostochasticBackwardStages {
    Func dq;
    Var t, col, row;
    bool fixed_shape;
};

struct StreamReadForwardStages {
    Func y, y_sum;
    RDom streams;
    Var t, c;
    bool fixed_d;
};

struct StreamReadBackwardStages {
    Func dx, dh_pre, dh_pre_sum;
    RDom features;
    Var t, c, j;
    bool fixed_d;
};

struct StreamWriteForwardStages {
    Func x_next, mixed;
    RDom streams;
    Var t, c, i;
    bool fixed_d;
};

struct StreamWriteBackwardStages {
    Func dx, dh_res, dh_post, df;
    Func dx_sum, df_sum, dh_res_sum, dh_post_sum;
    RDom streams, features;
    Var t, c, i, j;
    bool fixed_d;
};

// Base for every gomhc generator: the shared schedule knobs as
// GeneratorParams, and the choice between the CPU and CUDA schedule.
template<typename T>
class GomhcGenerator : public Generator<T> {
protected:
    GeneratorParam<int> vector_width{"vector_width", 8};
    GeneratorParam<int> tokens_per_task{"tokens_per_task", 64};
    GeneratorParam<int> gpu_threads{"gpu_threads", 128};
    GeneratorParam<int> gpu_tokens{"gpu_tokens", 1};

    ScheduleKnobs knobs() const {
        return ScheduleKnobs{vector_width, tokens_per_task, gpu_threads, gpu_tokens};
    }
    bool for_cuda() const { return this->get_target().has_feature(Target::CUDA); }
    // With auto_schedule=true an autoscheduler (Adams2019, Mullapudi2016)
    // schedules the pipeline from the shape estimates instead.
    bool hand_scheduled() const { return !this->get_auto_schedule(); }
};

}  // namespace gomhc
