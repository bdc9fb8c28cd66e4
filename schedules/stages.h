// The named stages each algorithm exposes to its schedules: the interface
// between generators/ and schedules/. A generator builds these in
// generate(); the CPU and CUDA schedules here decide where and how each
// stage is computed. Keeping the hand-off explicit is what
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
    int gpu_threads;      // CUDA: threads per block
    int gpu_tokens;       // CUDA: tokens per block for the feature-parallel ops
    int natural_lanes;    // float lanes of one of the target's vector registers
};

// Cayley forward: system(t, col, row) is the augmented matrix [I + A | I]
// of one token, stored token innermost, reduced in place by
// `forward_elimination` and `back_substitution`;
// `solved` is its right half, re-orthogonalised by the `gram_error` (upper
// triangle of I - Q^T Q), `gram_error_full` (both triangles), `correction`
// and `refined` stages (one of each per Newton-Schulz step).
struct CayleyForwardStages {
    Func q, params_t, system, solved;
    std::vector<Func> gram_error, gram_error_full, correction, refined;
    RDom forward_elimination, back_substitution, gram_sum, refine_sum;
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
    int d_fixed;  // d, or 0 where d is read at run time
};

struct StreamReadBackwardStages {
    Func dx, dh_pre, dh_pre_sum;
    RDom features;
    Var t, c, j;
    int d_fixed;  // d, or 0 where d is read at run time
};

struct StreamWriteForwardStages {
    Func x_next, mixed;
    RDom streams;
    Var t, c, i;
    int d_fixed;  // d, or 0 where d is read at run time
};

struct StreamWriteBackwardStages {
    Func dx, dh_res, dh_post, df;
    Func dx_sum, df_sum, dh_res_sum, dh_post_sum;
    RDom streams, features;
    Var t, c, i, j;
    int d_fixed;  // d, or 0 where d is read at run time
};

// Coefficient path forward: `coefficient(k, t)` holds z = x' W^T for k < K
// and 1/rms(x) at k = K, built from `lanes` (vector_width partial dot products
// per coefficient), `lanes_tail` (features past the last full vector) and the
// per-token `inverse_rms` (from `square_lanes` / `square_tail`). The outputs
// are cheap pointwise functions of it, except y, which reads X again with the
// gates `pre_gate` (H_pre, computed from `coefficient` as the h_pre output is).
struct CoefficientsForwardStages {
    Func coefficient, lanes, lanes_tail, square_lanes, square_tail, inverse_rms;
    Func y, y_sum, pre_gate, h_pre, h_post, logits, z, inv_rms;
    RDom full_vectors, tail, streams;
    Var c, j, k, t, lane;
};

// Coefficient path backward (with the read's backward): `dh_pre` (a dot product
// of dy with each stream), the gradient `g` of the pre-activation z, `du` =
// g / rms, `gz` = sum_k g z; dx adds the product `dx_product` = du W and the
// norm and read terms; dw adds `dw_sum`, the sum over blocks of tokens of
// `dw_block` = sum_t du x; db and da are small sums. `x_edge` and `w_edge` are
// the edge-clamped reads of X and W that the register tiles use.
struct CoefficientsBackwardStages {
    Func dh_pre, dh_pre_sum, activation_grad, g, du, gz, gz_sum, x_edge, w_edge;
    Func dx, dx_product, dw, dw_sum, dw_block, db, db_sum, da, da_sum;
    RDom features, coefficients, in_block, blocks, tokens, token_coefficients;
    Var c, j, k, t, i, b;
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

// LayerNorm: the outputs y (c, t), mean (t), rstd (t) and the per-token sums
// behind mean and rstd (`sum`, `square_sum`, reduced over the features).
struct LayernormForwardStages {
    Func y, mean, rstd, sum, square_sum;
    Var c, t;
};

// LayerNorm backward: dx (c, t) from the per-token sums of gamma * dy and of
// gamma * dy * normalized x; dgamma (c) and dbeta (c) copied from their sums
// over tokens (`dgamma_sum`, `dbeta_sum`).
struct LayernormBackwardStages {
    Func dx, dgamma, dbeta, scaled_sum, scaled_normalized_sum, dgamma_sum, dbeta_sum;
    Var c, t;
};

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

// Cross-entropy: per token t, the `largest` logit and `exp_sum` over the
// `vocab` RDom, giving lse (t) and loss (t).
struct CrossEntropyForwardStages {
    Func loss, lse, largest, exp_sum;
    RDom vocab;
    Var t;
};

// An op over rows whose entries are computed independently: `out` (x, row).
struct RowwiseStages {
    Func out;
    Var x, row;
};

// Causal softmax: per row (q, h), the `largest` scaled score and `exp_sum`
// of the `exponential`s over the `keys` k <= q, then probs (k, q, h).
struct CausalSoftmaxForwardStages {
    Func probs, largest, exp_sum, exponential;
    RDom keys;
    Var k, q, h;
};

// Causal softmax backward: per row, the `dot` of P and dP over the `keys`,
// then dscores (k, q, h).
struct CausalSoftmaxBackwardStages {
    Func dscores, dot;
    RDom keys;
    Var k, q, h;
};

// Squared norm: `chunk_sum` (chunk) over `in_chunk`, then `total` over the
// chunks, copied into squared_norm (0).
struct SquaredNormStages {
    Func squared_norm, total, chunk_sum;
    RDom in_chunk;
    Var chunk, i;
};

// Sinkhorn (mHC baseline): `logits_t` is the logits token innermost; `scan`
// holds each potential's running (max, sum of exponentials) over the `steps`
// RDom (q, node, iteration); `potential` reads the potentials off it. The
// backward's `adjoint` is scattered over the `reverse` scan, and `dl_sum`
// collects dL over `iters`.
struct SinkhornForwardStages {
    Func h, logits_t, scan, potential;
    RDom steps;
    Var t, m, k, col, row;
};

struct SinkhornBackwardStages {
    Func dlogits, dl_sum, dh_t, weighted, adjoint, logits_t, scan, potential;
    RDom steps, reverse, iters;
    Var t, m, k, col, row;
};

// mHC-lite: the softmax over the permutation logits (`largest`, `exponential`,
// `total`, summed over `all`); the forward's `mixed` adds each weight into the
// cells its permutation selects; the backward reads dH along each permutation
// (`picked`) and removes the weighted mean.
struct PermutationMixWeights {
    Func largest, exponential, total;
    RDom all;

    // Computes the softmax (the weights `w` too) once per `at` of `parent`.
    void compute_at(Func w, Func parent, Var at) {
        for (Func f : {largest, exponential, total, w}) {
            f.compute_at(parent, at);
        }
    }
};

struct PermutationMixForwardStages {
    Func h, mixed, w;
    PermutationMixWeights weights;
    RDom perms;
    Var col, row, t;
};

struct PermutationMixBackwardStages {
    Func dlogits, picked, mean, w;
    PermutationMixWeights weights;
    RDom rows;
    Var k, t;
};

// KromHC: `factor` t_l = sigmoid(logit_l); the forward multiplies one 2 x 2
// factor entry per level into `product`; the backward sums dH times the
// product of the other levels (`others`) into `level_sum`.
struct KromhcForwardStages {
    Func h, product, diagonal;
    RDom levels;
    Var col, row, t, l;
};

struct KromhcBackwardStages {
    Func dlogits, level_sum, others, diagonal;
    RDom levels, cells;
    Var col, row, t, l;
};

// Kronecker product H = H1 (x) H2 and its adjoint sums.
struct KroneckerForwardStages {
    Func h;
    Var col, row, t;
};

struct KroneckerBackwardStages {
    Func dh1, dh2, dh1_sum, dh2_sum;
    RDom inner, outer;
    Var col, row, t;
};

}  // namespace gomhc
