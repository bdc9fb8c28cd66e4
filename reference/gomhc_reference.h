// gomhc float64 reference: every kernel of gomhc.h written plainly in double.
//
// The tests trust this code, so it favours the most direct formulation over
// speed: explicit loops, a dense Gaussian elimination, no blocking. Layouts are
// the row-major layouts of gomhc.h, for T tokens:
//   params [T][n(n-1)/2], q [T][n][n], h [T][d][d], x [T][d][C],
//   h_pre / h_post [T][d], h_res [T][d][d], y / f [T][C], with n = d*s.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace gomhc::reference {

using Vec = std::vector<double>;

// ---------------------------------------------------------------------------
// Skew parameter indexing.

// Number of skew parameters of an n x n matrix: the strict upper triangle.
int64_t pair_count(int n);
// Index of entry (i, j), i < j, in the row-major strict upper triangle.
int64_t pair_index(int i, int j, int n);
// Inverse of pair_index.
void pair_of_index(int64_t k, int n, int *i, int *j);

// ---------------------------------------------------------------------------
// The go-mHC residual mixer (docs/math.md section 2).

// Q = (I + A)^{-1} (I - A) with A = U - U^T, U the strict upper triangle of
// params; returns q [T][n][n].
Vec cayley_forward(int64_t tokens, int n, const Vec &params);
// dL/dparams [T][n(n-1)/2] from the saved q [T][n][n] and dq = dL/dQ.
Vec cayley_backward(int64_t tokens, int n, const Vec &q, const Vec &dq);

// H[i][j] = (1/s) * sum of squares of the s x s block (i, j) of Q; h [T][d][d].
Vec orthostochastic_forward(int64_t tokens, int d, int s, const Vec &q);
// dL/dq [T][n][n] = (2/s) * q * dh[block].
Vec orthostochastic_backward(int64_t tokens, int d, int s, const Vec &q, const Vec &dh);

// ---------------------------------------------------------------------------
// Stream mixing (docs/math.md section 2.2).

// y[t][c] = sum_j h_pre[t][j] x[t][j][c].
Vec stream_read_forward(int64_t tokens, int d, int64_t c, const Vec &x, const Vec &h_pre);

struct StreamReadGrads {
    Vec dx;      // [T][d][C]
    Vec dh_pre;  // [T][d]
};
StreamReadGrads stream_read_backward(int64_t tokens, int d, int64_t c, const Vec &x,
                                     const Vec &h_pre, const Vec &dy);

// The sum of the streams, y[t][c] = scale sum_j x[t][j][c], and its backward
// dx[t][j][c] = scale dy[t][c].
Vec stream_sum_forward(int64_t tokens, int d, int64_t c, const Vec &x, double scale = 1.0);
Vec stream_sum_backward(int64_t tokens, int d, int64_t c, const Vec &dy, double scale = 1.0);

// The stream embedding, out[t][j][c] = x[t][j][c] + wse[j][c], and its
// backward dwse[j][c] = dwse_in[j][c] + sum_t dout[t][j][c].
Vec stream_embed_forward(int64_t tokens, int d, int64_t c, const Vec &x, const Vec &wse);
Vec stream_embed_backward(int64_t tokens, int d, int64_t c, const Vec &dout, const Vec &dwse_in);

// x_next[t][i][c] = sum_j h_res[t][i][j] x[t][j][c] + h_post[t][i] f[t][c].
Vec stream_write_forward(int64_t tokens, int d, int64_t c, const Vec &x, const Vec &h_res,
                         const Vec &h_post, const Vec &f);

struct StreamWriteGrads {
    Vec dx;       // [T][d][C]
    Vec dh_res;   // [T][d][d]
    Vec dh_post;  // [T][d]
    Vec df;       // [T][C]
};
StreamWriteGrads stream_write_backward(int64_t tokens, int d, int64_t c, const Vec &x,
                                       const Vec &h_res, const Vec &h_post, const Vec &f,
                                       const Vec &dx_next);

// ---------------------------------------------------------------------------
// Dense linear algebra on row-major n x n matrices.

// X = M^{-1} B for M n x n and B n x m, by Gaussian elimination with partial
// pivoting. Throws std::runtime_error if M is singular.
Vec solve(int n, const Vec &m, int cols, const Vec &b);
// Determinant by LU with partial pivoting.
double determinant(int n, const double *m);
double determinant(int n, const Vec &m);
// Row-major product of (rows x inner) and (inner x cols).
Vec matmul(int rows, int inner, int cols, const double *a, const double *b);
Vec transpose(int rows, int cols, const double *a);
Vec identity(int n);

// ---------------------------------------------------------------------------
// Test helpers.

// Seeded random numbers, so every failure can be reproduced from its seed.
class Rng {
public:
    explicit Rng(uint64_t seed) : engine_(seed) {}
    double normal(double sigma);
    double uniform(double lo, double hi);
    // count draws of N(0, sigma^2) / U(lo, hi).
    Vec normal_vec(size_t count, double sigma);
    Vec uniform_vec(size_t count, double lo, double hi);
    std::mt19937_64 &engine() { return engine_; }

private:
    std::mt19937_64 engine_;
};

// Round every entry to float32 and back: gives the exact values a float32
// kernel sees, so kernel and reference can start from identical inputs.
Vec round_to_float(const Vec &v);
std::vector<float> to_float(const Vec &v);
Vec to_double(const std::vector<float> &v);

double max_abs(const Vec &v);
double max_abs_error(const Vec &a, const Vec &b);
// max_i |a_i - b_i| / max(|b_i|, floor): elementwise relative error, with a
// floor so entries that are (nearly) zero in b are judged absolutely.
double max_relative_error(const Vec &a, const Vec &b, double floor = 1e-12);
// max_i |a_i - b_i| / max_i |b_i|: the error scaled by the magnitude of b.
// Used for gradients, whose small components carry cancellation noise that an
// elementwise relative error would overstate.
double normwise_error(const Vec &a, const Vec &b);
bool all_finite(const Vec &v);
double dot(const Vec &a, const Vec &b);

// Central finite differences: g_k = (f(x + h e_k) - f(x - h e_k)) / (2h).
Vec numeric_gradient(const std::function<double(const Vec &)> &f, const Vec &x, double h = 1e-6);

// Structural checks on a batch of matrices, as the largest violation over all
// tokens (0 means exact).
double max_orthogonality_error(int64_t tokens, int n, const Vec &q);  // |Q^T Q - I|
double max_row_sum_error(int64_t tokens, int d, const Vec &h);        // |row sum - 1|
double max_col_sum_error(int64_t tokens, int d, const Vec &h);        // |col sum - 1|
double min_entry(const Vec &v);
double max_det_error(int64_t tokens, int n, const Vec &q);  // |det Q - 1|

}  // namespace gomhc::reference
