// The synthetic stream-mixing task of the go-mHC paper (docs/math.md section 4), the
// parts that need no kernels: ground-truth mixers, data, loss and the
// convergence summary.
//
// Each of `targets` ground-truth doubly stochastic d x d matrices T_i gets
// `samples` inputs x ~ U[0,1]^d and outputs y = T_i x + 0.1 u, u ~ U[0,1).
// A mixer H_i is fitted per target; the loss is the mean of (H_i x - y)^2
// over targets, samples and the d outputs. An exact fit leaves the noise,
// E[(0.1 u)^2] = 0.1^2 / 3: the minimum loss of a doubly stochastic mixer,
// which cannot absorb the noise's mean 0.05 (its rows and columns sum to 1,
// so (H - T) x has mean 0 for every H).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gomhc::tools::synth {

constexpr double kNoiseScale = 0.1;
constexpr double kMinimumLoss = kNoiseScale * kNoiseScale / 3;

// Which ground truths:
//   "sinkhorn" (the paper's notebook): 20 Sinkhorn-Knopp sweeps (rows, then
//       columns) of a d x d matrix of U[0,1) entries;
//   "birkhoff" (the notebook's other set): sum_k w_k P_k over all d!
//       permutation matrices, w ~ Dirichlet(1, ..., 1); d <= kMaxBirkhoffD;
//   "mixed": the d-cycle, its inverse when d >= 3, the 3-cycle on streams
//       0..2 and its inverse when d >= 4, the rest random convex combinations
//       of 2 to 4 random permutations with Dirichlet(1) weights;
//   "cycle3": every target the 3-cycle 0->1->2->0 on the first three
//       streams (d >= 3); "cycle": every target the d-cycle.
enum class TargetSet { sinkhorn, birkhoff, mixed, cycle3, cycle };
constexpr int kMaxBirkhoffD = 7;                      // 7! = 5040 permutation matrices
TargetSet parse_target_set(const std::string &name);  // throws std::invalid_argument
std::string target_set_name(TargetSet set);

using Matrix = std::vector<double>;  // d x d, row-major

// M[i][perm[i]] = 1: output i reads input perm[i].
Matrix permutation_matrix(const std::vector<int> &perm);
// The cycle moving stream j to stream j+1 (mod k) on the first k streams of d:
// T[i][i-1] = 1 for 0 < i < k, T[0][k-1] = 1, identity on streams >= k.
Matrix cycle_matrix(int d, int k);

// `count` targets for d streams, deterministic for the seed. Throws
// std::invalid_argument for cycle3 with d < 3 and birkhoff with d > 7.
std::vector<Matrix> make_targets(int d, int count, TargetSet set, uint64_t seed);

struct Dataset {
    int targets = 0, d = 0, samples = 0;
    std::vector<float> x;  // [targets][d][samples], the layout of stream_write's x [T][d][C]
    std::vector<float> y;  // [targets][d][samples]
};
// How the inputs x are drawn: u ~ U[0,1)^d, each entry then kept with
// probability 1 - sparsity (else 0). With scale_by_kept (the notebook's
// inputs) x is multiplied by the number of its kept entries, so without
// sparsity x ~ d U[0,1)^d.
struct InputOptions {
    double sparsity = 0;
    bool scale_by_kept = false;
};
Dataset make_dataset(const std::vector<Matrix> &targets, int d, int samples, uint64_t seed,
                     const InputOptions &inputs = {});

// Per target t, mean over its samples and outputs of (pred - y)^2.
std::vector<double> per_target_loss(const Dataset &data, const std::vector<float> &pred);

// mean((pred - y)^2), accumulated in double; writes dloss/dpred to *grad when
// it is not null (resized to pred's size).
double mse_loss(const std::vector<float> &pred, const std::vector<float> &y,
                std::vector<float> *grad);

// pred = H x per target with a plain loop (h [targets][d][d]).
std::vector<float> mix(const Dataset &data, const std::vector<float> &h);

// The first epoch whose loss is at most 1.05 x the final (last) loss, as the
// notebook counts; -1 for an empty curve.
int64_t epochs_to_converge(const std::vector<double> &losses);

// The largest deviation of M from doubly stochastic: max over |row sum - 1|,
// |col sum - 1| and negative entries.
double doubly_stochastic_error(const Matrix &m, int d);

}  // namespace gomhc::tools::synth
