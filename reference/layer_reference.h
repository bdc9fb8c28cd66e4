// gomhc float64 reference of the residual mixers and of the hyper-connection
// layer (docs/math.md sections 1 and 3; gomhc/gomhc.hpp, "Residual mixers" and class
// HyperConnection). Like gomhc_reference.h it is written plainly: explicit
// loops, one token at a time, no fusion. The coefficient path has an analytic
// backward (checked against finite differences in test_reference); for the
// whole layer the tests take central finite differences of layer_loss.
//
// Layouts (row-major, for T tokens, K_res residual logits per token):
//   logits [T][K_res], h_res [T][d][d], x / x_next [T][d][C], y / f [T][C],
//   h_pre / h_post [T][d].
// Layer parameters, one flat array (gomhc.h, "Parameters"), K = 2d + K_res:
//   W [K][d*C] row-major, then b [K], then a_pre, a_post, a_res.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gomhc_reference.h"

namespace gomhc::reference {

// ---------------------------------------------------------------------------
// Residual mixers: per-token logits -> H_res [d][d].

// The methods of gomhc::Method, in the same order.
enum class MixerMethod { residual, hc, mhc, mhc_lite, kromhc, go, go_kron };

std::vector<MixerMethod> all_mixer_methods();
// "residual", "hc", "mhc", "mhc-lite", "kromhc", "go", "go-kron".
std::string mixer_method_name(MixerMethod method);
// Inverse of mixer_method_name; throws std::invalid_argument for other names.
MixerMethod parse_mixer_method(const std::string &name);

// Whether the method accepts (d, s): s >= 1, d >= 1 and
//   residual d = 1; mhc-lite d <= 8; kromhc d a power of 2 (1 included);
//   go n = d*s <= 64; go-kron d composite (go_kron_factors exists), n <= 64.
// hc and mhc take any d <= 64.
bool mixer_shape_ok(MixerMethod method, int d, int s);
// Throws std::invalid_argument unless mixer_shape_ok.
void check_mixer_shape(MixerMethod method, int d, int s);

// Residual logits per token: residual 0; hc, mhc d*d; mhc-lite d!; kromhc
// log2 d; go n(n-1)/2; go-kron n1(n1-1)/2 + n2(n2-1)/2 with n_i = d_i*s.
int64_t mixer_logit_count(MixerMethod method, int d, int s);

// The number of alternating normalisations of the mhc (Sinkhorn) mixer.
constexpr int kSinkhornIterations = 20;

// All permutations of 0..d-1 in lexicographic order (d! of them; the first is
// the identity).
std::vector<std::vector<int>> permutations_lex(int d);

// go-kron's split d = d1 * d2: d1 the largest divisor of d with
// 2 <= d1 <= sqrt(d). Throws std::invalid_argument when there is none
// (d prime or d < 4).
void go_kron_factors(int d, int *d1, int *d2);

// Kronecker product of a (p x p) and b (q x q):
// out[i*q + k][j*q + l] = a[i][j] * b[k][l].
Vec kronecker(int p, const Vec &a, int q, const Vec &b);

// log(sum_k exp(v[k * stride])) over count entries, with the maximum shifted out.
double log_sum_exp(const double *v, int count, int stride);

// One token of the mhc mixer: the log-domain Sinkhorn-Knopp iteration of
// gomhc.hpp on the d x d logits L:
//   g = 0; `iterations` times: f_i = -LSE_j(L_ij + g_j), g_j = -LSE_i(L_ij + f_i);
//   H_ij = exp(L_ij + f_i + g_j).
Vec sinkhorn(int d, const double *logits, int iterations = kSinkhornIterations);

// h_res [T][d][d] from logits [T][mixer_logit_count]:
//   residual  [[1]]
//   hc        the logits as a d x d matrix
//   mhc       sinkhorn(logits), 20 iterations
//   mhc-lite  sum_k softmax(logits)_k P_k, P_k[i][perm_k[i]] = 1, perms lexicographic
//   kromhc    B_0 (x) ... (x) B_{m-1}, B_l = [[t, 1-t], [1-t, t]], t = sigmoid(logit_l)
//   go        orthostochastic_forward(cayley_forward(logits)) with n = d*s
//   go-kron   H1 (x) H2, go mixers of sizes d1, d2 (go_kron_factors), block size
//             s, factor 1's logits first
Vec mixer_forward(MixerMethod method, int64_t tokens, int d, int s, const Vec &logits);

// ---------------------------------------------------------------------------
// The hyper-connection layer.

constexpr double kRmsNormEps = 1e-6;

struct LayerShape {
    MixerMethod method = MixerMethod::go;
    int d = 1;
    int s = 1;
    int64_t c = 1;
};

// Coefficients per token K = 2d + K_res (0 for residual).
int64_t layer_coefficient_count(const LayerShape &shape);

// Offsets into the flat parameter array (all 0 and count 0 for residual).
struct LayerParamLayout {
    int64_t k = 0;      // coefficients per token
    int64_t w = 0;      // W [K][d*C]
    int64_t b = 0;      // b [K]
    int64_t a_pre = 0;  // scalars
    int64_t a_post = 0;
    int64_t a_res = 0;
    int64_t count = 0;  // K*d*C + K + 3
};
LayerParamLayout layer_param_layout(const LayerShape &shape);
int64_t layer_param_count(const LayerShape &shape);

// The coefficient path alone (docs/math.md section 1; the coefficients_forward and
// coefficients_backward kernels), for K >= 2d coefficients per token with
// W [K][d*C], b [K] and the scalars a = {a_pre, a_post, a_res}.
struct CoefficientPath {
    Vec inv_rms;  // [T]       1 / sqrt(mean(vec(X)^2) + eps)
    Vec x_norm;   // [T][d*C]  vec(X) * inv_rms
    Vec z;        // [T][K]    z_k = sum_m W[k][m] x_norm[m]
    Vec h_pre;    // [T][d]    sigmoid(a_pre * z[0:d] + b[0:d])
    Vec h_post;   // [T][d]    2 sigmoid(a_post * z[d:2d] + b[d:2d])
    Vec logits;   // [T][K-2d] a_res * z[2d:K] + b[2d:K]
};
CoefficientPath coefficient_forward(int64_t tokens, int d, int64_t c, int64_t k, const Vec &x,
                                    const Vec &w, const Vec &b, const Vec &a);

// The analytic gradients of L = <dy, y> + <dh_post, h_post> + <dlogits, logits>
// with y = sum_j h_pre[j] X[j] (the read that consumes h_pre, as the
// coefficients_backward kernel includes it): dx [T][d][C], dw [K][d*C],
// db [K] and da [3], summed over the tokens.
struct CoefficientGrads {
    Vec dx, dw, db, da;
};
CoefficientGrads coefficient_backward(int64_t tokens, int d, int64_t c, int64_t k, const Vec &x,
                                      const Vec &w, const Vec &b, const Vec &a, const Vec &dy,
                                      const Vec &dh_post, const Vec &dlogits);
// The same from what the forward saved, as the coefficients_backward kernel
// reads it: fw's inv_rms, z, h_pre and h_post (x_norm follows from x and
// inv_rms; b is not needed).
CoefficientGrads coefficient_backward_saved(int64_t tokens, int d, int64_t c, int64_t k,
                                            const Vec &x, const Vec &w, const Vec &a,
                                            CoefficientPath fw, const Vec &dy, const Vec &dh_post,
                                            const Vec &dlogits);

// Everything one forward computes, per token.
struct LayerForward {
    Vec x_norm;  // [T][d*C] RMSNorm(vec(X)) = vec(X) / sqrt(mean(vec(X)^2) + eps), no gain
    Vec z;       // [T][K]   z_k = sum_m W[k][m] x_norm[m]
    Vec h_pre;   // [T][d]   sigmoid(a_pre * z[0:d] + b[0:d])
    Vec h_post;  // [T][d]   2 sigmoid(a_post * z[d:2d] + b[d:2d])
    Vec logits;  // [T][K_res] a_res * z[2d:K] + b[2d:K]
    Vec h_res;   // [T][d][d] mixer_forward(logits)
    Vec y;       // [T][C]   sum_j h_pre[j] X[j]
    Vec x_next;  // [T][d][C] H_res X + H_post^T f
};
// residual (d = 1, no parameters): h_pre = h_post = h_res = 1, y = X,
// x_next = X + f; x_norm, z and logits are empty.
LayerForward layer_forward(const LayerShape &shape, int64_t tokens, const Vec &params, const Vec &x,
                           const Vec &f);
// The layer around F = identity: f = y.
LayerForward layer_forward_identity(const LayerShape &shape, int64_t tokens, const Vec &params,
                                    const Vec &x);

// Scalar losses for finite differences. With f an independent input:
//   L = <g_x_next, x_next> + <g_y, y>          (g_y empty means 0)
// so dL/dx_next = g_x_next (post_backward's dx_next) and dL/dy = g_y
// (pre_backward's dy). With F = identity (f = y):
//   L = <g_x_next, x_next(f = y)>
// whose gradient is what post_backward(g_x_next) then pre_backward(dy = df) give.
double layer_loss(const LayerShape &shape, int64_t tokens, const Vec &params, const Vec &x,
                  const Vec &f, const Vec &g_x_next, const Vec &g_y);
double layer_loss_identity(const LayerShape &shape, int64_t tokens, const Vec &params, const Vec &x,
                           const Vec &g_x_next);

}  // namespace gomhc::reference
