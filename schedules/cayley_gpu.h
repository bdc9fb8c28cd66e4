// GPU schedule of the Cayley map.
//
// Small n: one thread solves one token's system in its own local memory; a
// block holds gpu_threads tokens. Tokens are independent, so this needs no
// synchronisation, and consecutive threads read consecutive tokens.
//
// Larger n (and the generic kernel): that local memory would be too big. The
// driver reserves a kernel's local memory for every thread that can be
// resident (2048 per SM), so a frame of tens of KiB per thread fails to launch
// or crawls. There one block takes one token: the token's matrices live in
// the block's shared memory, and each stage spreads its cells, or the columns
// of an elimination pass, over the block's gpu_threads threads. Halide puts a
// Func computed at the block loop in shared memory and puts a barrier between
// stages; the shared allocations are pooled over the stages where they are
// live.
#pragma once

#include <vector>

#include "schedules/cayley_stages.h"
#include "schedules/gpu_common.h"
#include "schedules/stages.h"

namespace gomhc {

// The largest n the generic kernel accepts (n_runtime's bound) sets the most
// shared memory a generic block takes (see below).
constexpr int kMaxGenericN = kMaxN;

// Up to this n a specialised kernel keeps one token per thread: its frame is
// then at most 8.4 KiB (forward n = 12; ptxas -v, sm_90), and the token's
// work is too small to share a block's threads. At n = 16 the frame is
// 15 KiB, within a hair of the 16 KiB that tests/ptx allows.
constexpr int kMaxThreadPerTokenN = 12;

inline bool cayley_thread_per_token(int n_fixed) {
    return n_fixed > 0 && n_fixed <= kMaxThreadPerTokenN;
}

// The elimination passes of a token's system over the threads of its block
// (see schedule_cayley_forward_gpu_per_block), one column per thread.
inline void eliminate_across_threads(CayleyForwardStages &s) {
    // Forward pass (k, r) updates the n entries (c, r), c = k + 1 + j. They
    // are independent: each reads itself, entry (k, r) (the multiplier,
    // c > k) or, when k == r, the pivot (r, r) (c > r), and entry (c, k) of
    // a row k != r; no other j of the same pass writes any of these. Halide
    // cannot prove it (the pivot is read in both arms of the select), hence
    // allow_race_conditions; the racing read of (r, r) in a pass k < r feeds
    // only the discarded arm.
    //
    // Successive passes depend on each other across threads (pass k reads
    // (k, r), which pass k - 1 wrote), so each needs a barrier after it.
    // Halide 14 puts one after each iteration of a block-level serial loop
    // only when the loop body is a sequence of thread loops, not a single
    // one: unrolling k by two makes it such a sequence, with a barrier after
    // each pass.
    {
        RVar j = s.forward_elimination.x, k = s.forward_elimination.y, r = s.forward_elimination.z;
        RVar k_pair("k_pair"), k_in_pair("k_in_pair");
        s.system.update(0)
            .reorder(s.t, j, k, r)
            .split(k, k_pair, k_in_pair, 2, TailStrategy::GuardWithIf)
            .unroll(k_in_pair)
            .allow_race_conditions()
            .gpu_threads(j);
    }
    // Back substitution: pass (k, r) updates (n + j, r) from (k, r), which
    // this pass never writes (k < n), and (n + j, k), which the same thread
    // wrote: every column stays with one thread from start to end, so the
    // pass needs no barrier (the forward pass ends with one). Halide proves
    // j race-free for a fixed n but not for the run-time n (it would need
    // k < n <= n + j), hence allow_race_conditions.
    s.system.update(1)
        .reorder(s.t, s.back_substitution.x, s.back_substitution.y, s.back_substitution.z)
        .allow_race_conditions()
        .gpu_threads(s.back_substitution.x);
}

inline void schedule_cayley_forward_gpu_per_thread(CayleyForwardStages &s,
                                                   const ScheduleKnobs &knobs, int n_fixed) {
    Var t_block("t_block"), t_thread("t_thread");
    s.q.split(s.t, t_block, t_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.col, s.row, t_thread, t_block)
        .gpu_blocks(t_block)
        .gpu_threads(t_thread);
    s.system.compute_at(s.q, t_thread);
    std::vector<Func> refinement = s.gram_error;
    refinement.push_back(s.solved);
    refinement.insert(refinement.end(), s.gram_error_full.begin(), s.gram_error_full.end());
    refinement.insert(refinement.end(), s.correction.begin(), s.correction.end());
    refinement.insert(refinement.end(), s.refined.begin(), s.refined.end());
    for (Func f : refinement) {
        f.compute_at(s.q, t_thread);
    }
    s.params_t.compute_at(s.q, t_thread);
    s.system.update(0).unroll(s.forward_elimination.y);
    s.system.update(1).unroll(s.back_substitution.y);
}

// One block per token. Shared memory holds the system [I + A | I] (2 n^2
// floats) and, per Newton-Schulz step, the upper triangle of E = I - Q^T Q
// (n^2): 48 KiB at n = kMaxGenericN, the most a block may have without
// opting in (Halide 14 does not). Everything else is recomputed where it is
// read rather than stored: Q = 2 (right half) - I and the mirrored E are a
// few operations per read, and each cell's correction (Q E) is a dot
// product that its own thread sums in a register and adds into the output
// (or into the next step's Q, which needs storing: it is read n times).
inline void schedule_cayley_forward_gpu_per_block(CayleyForwardStages &s,
                                                  const ScheduleKnobs &knobs) {
    const int threads = knobs.gpu_threads;
    // Each shared Func holds exactly the token's matrix: bounds inference
    // alone over-estimates it by orders of magnitude where n is a run-time
    // value (through the fused cell index and the pair index arithmetic).
    const Expr n = s.forward_elimination.x.extent();
    s.q.gpu_blocks(s.t);
    Var q_cell = gpu_threads_over_cells(s.q, s.col, s.row, threads);

    s.system.compute_at(s.q, s.t).bound(s.col, 0, 2 * n).bound(s.row, 0, n);
    gpu_threads_over_cells(s.system, s.col, s.row, threads);
    eliminate_across_threads(s);

    const size_t steps = s.refined.size();
    for (size_t step = 0; step < steps; step++) {
        Func e = s.gram_error[step];
        e.compute_at(s.q, s.t).bound(s.col, 0, n).bound(s.row, 0, n);
        gpu_threads_over_cells(e, s.col, s.row, threads);
        e.update().reorder(s.gram_sum.x, s.t, s.col, s.row);
        gpu_threads_over_cells(e.update(), s.col, s.row, threads);
        if (step + 1 < steps) {
            Func q_next = s.refined[step];
            q_next.compute_at(s.q, s.t).bound(s.col, 0, n).bound(s.row, 0, n);
            Var cell = gpu_threads_over_cells(q_next, s.col, s.row, threads);
            s.correction[step].compute_at(q_next, cell);
        } else {
            s.correction[step].compute_at(s.q, q_cell);
        }
    }
}

inline void schedule_cayley_forward_gpu(CayleyForwardStages &s, const ScheduleKnobs &knobs,
                                        int n_fixed) {
    if (cayley_thread_per_token(n_fixed)) {
        schedule_cayley_forward_gpu_per_thread(s, knobs, n_fixed);
    } else {
        schedule_cayley_forward_gpu_per_block(s, knobs);
    }
}

// Backward, small n: one thread per token, as the forward.
inline void schedule_cayley_backward_gpu_per_thread(CayleyBackwardStages &s,
                                                    const ScheduleKnobs &knobs) {
    Var t_block("t_block"), t_thread("t_thread");
    s.dparams.split(s.t, t_block, t_thread, knobs.gpu_threads, TailStrategy::GuardWithIf)
        .reorder(s.k, t_thread, t_block)
        .gpu_blocks(t_block)
        .gpu_threads(t_thread);
    for (Func f : {s.qt, s.gt, s.w, s.grad_a}) {
        f.compute_at(s.dparams, t_thread);
    }
}

// Backward, larger n: one block per token; w and grad_a (n^2 floats each,
// 32 KiB at n = kMaxGenericN) in shared memory, each cell summed by one
// thread, and Q and G read straight from global memory (the token's 2 n^2
// floats stay in L1) rather than copied.
inline void schedule_cayley_backward_gpu_per_block(CayleyBackwardStages &s,
                                                   const ScheduleKnobs &knobs) {
    const int threads = knobs.gpu_threads;
    // Exact bounds for the shared Funcs, as in the forward.
    const Expr n = s.w_sum.x.extent();
    Var k_step("k_step"), k_thread("k_thread");
    s.dparams.gpu_blocks(s.t)
        .split(s.k, k_step, k_thread, threads, TailStrategy::GuardWithIf)
        .gpu_threads(k_thread);
    for (auto [f, sum] : {std::pair{s.w, s.w_sum}, std::pair{s.grad_a, s.a_sum}}) {
        f.compute_at(s.dparams, s.t).bound(s.col, 0, n).bound(s.row, 0, n);
        gpu_threads_over_cells(f, s.col, s.row, threads);
        f.update().reorder(sum.x, s.t, s.col, s.row);
        gpu_threads_over_cells(f.update(), s.col, s.row, threads);
    }
}

inline void schedule_cayley_backward_gpu(CayleyBackwardStages &s, const ScheduleKnobs &knobs,
                                         int n_fixed) {
    if (cayley_thread_per_token(n_fixed)) {
        schedule_cayley_backward_gpu_per_thread(s, knobs);
    } else {
        schedule_cayley_backward_gpu_per_block(s, knobs);
    }
}

}  // namespace gomhc
