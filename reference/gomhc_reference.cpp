#include "gomhc_reference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gomhc::reference {

// ---------------------------------------------------------------------------
// Skew parameter indexing.

int64_t pair_count(int n) { return int64_t(n) * (n - 1) / 2; }

int64_t pair_index(int i, int j, int n) {
    if (!(0 <= i && i < j && j < n)) {
        throw std::out_of_range("pair_index: need 0 <= i < j < n");
    }
    // Rows 0..i-1 of the strict upper triangle hold n-1, n-2, ..., n-i entries.
    return int64_t(i) * (2 * n - i - 1) / 2 + (j - i - 1);
}

void pair_of_index(int64_t k, int n, int *i, int *j) {
    if (k < 0 || k >= pair_count(n)) {
        throw std::out_of_range("pair_of_index: k out of range");
    }
    // A linear scan is plainly correct, and n <= 64 keeps it cheap.
    int row = 0;
    int64_t first = 0;
    while (first + (n - row - 1) <= k) {
        first += n - row - 1;
        ++row;
    }
    *i = row;
    *j = int(row + 1 + (k - first));
}

// ---------------------------------------------------------------------------
// Dense linear algebra.

Vec identity(int n) {
    Vec m(size_t(n) * n, 0.0);
    for (int i = 0; i < n; ++i) {
        m[size_t(i) * n + i] = 1.0;
    }
    return m;
}

Vec matmul(int rows, int inner, int cols, const double *a, const double *b) {
    Vec out(size_t(rows) * cols, 0.0);
    for (int i = 0; i < rows; ++i) {
        for (int k = 0; k < inner; ++k) {
            const double aik = a[size_t(i) * inner + k];
            for (int j = 0; j < cols; ++j) {
                out[size_t(i) * cols + j] += aik * b[size_t(k) * cols + j];
            }
        }
    }
    return out;
}

Vec transpose(int rows, int cols, const double *a) {
    Vec out(size_t(rows) * cols);
    for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < cols; ++j) {
            out[size_t(j) * rows + i] = a[size_t(i) * cols + j];
        }
    }
    return out;
}

Vec solve(int n, const Vec &m, int cols, const Vec &b) {
    if (m.size() != size_t(n) * n || b.size() != size_t(n) * cols) {
        throw std::invalid_argument("solve: size mismatch");
    }
    Vec a = m;
    Vec x = b;
    for (int k = 0; k < n; ++k) {
        // Partial pivoting: I + A never needs it (its pivots are >= 1), but the
        // reference should not depend on that argument being right.
        int pivot = k;
        for (int r = k + 1; r < n; ++r) {
            if (std::fabs(a[size_t(r) * n + k]) > std::fabs(a[size_t(pivot) * n + k])) {
                pivot = r;
            }
        }
        if (a[size_t(pivot) * n + k] == 0.0) {
            throw std::runtime_error("solve: singular matrix");
        }
        if (pivot != k) {
            for (int c = 0; c < n; ++c) {
                std::swap(a[size_t(k) * n + c], a[size_t(pivot) * n + c]);
            }
            for (int c = 0; c < cols; ++c) {
                std::swap(x[size_t(k) * cols + c], x[size_t(pivot) * cols + c]);
            }
        }
        for (int r = k + 1; r < n; ++r) {
            const double factor = a[size_t(r) * n + k] / a[size_t(k) * n + k];
            if (factor == 0.0) {
                continue;
            }
            for (int c = k; c < n; ++c) {
                a[size_t(r) * n + c] -= factor * a[size_t(k) * n + c];
            }
            for (int c = 0; c < cols; ++c) {
                x[size_t(r) * cols + c] -= factor * x[size_t(k) * cols + c];
            }
        }
    }
    for (int k = n - 1; k >= 0; --k) {
        for (int c = 0; c < cols; ++c) {
            double v = x[size_t(k) * cols + c];
            for (int j = k + 1; j < n; ++j) {
                v -= a[size_t(k) * n + j] * x[size_t(j) * cols + c];
            }
            x[size_t(k) * cols + c] = v / a[size_t(k) * n + k];
        }
    }
    return x;
}

double determinant(int n, const double *m) {
    Vec a(m, m + size_t(n) * n);
    double det = 1.0;
    for (int k = 0; k < n; ++k) {
        int pivot = k;
        for (int r = k + 1; r < n; ++r) {
            if (std::fabs(a[size_t(r) * n + k]) > std::fabs(a[size_t(pivot) * n + k])) {
                pivot = r;
            }
        }
        if (a[size_t(pivot) * n + k] == 0.0) {
            return 0.0;
        }
        if (pivot != k) {
            for (int c = 0; c < n; ++c) {
                std::swap(a[size_t(k) * n + c], a[size_t(pivot) * n + c]);
            }
            det = -det;  // a row swap flips the sign
        }
        det *= a[size_t(k) * n + k];
        for (int r = k + 1; r < n; ++r) {
            const double factor = a[size_t(r) * n + k] / a[size_t(k) * n + k];
            for (int c = k; c < n; ++c) {
                a[size_t(r) * n + c] -= factor * a[size_t(k) * n + c];
            }
        }
    }
    return det;
}

double determinant(int n, const Vec &m) {
    if (m.size() != size_t(n) * n) {
        throw std::invalid_argument("determinant: size mismatch");
    }
    return determinant(n, m.data());
}

// ---------------------------------------------------------------------------
// The go-mHC residual mixer.

namespace {

void check_size(const Vec &v, int64_t expected, const char *what) {
    if (int64_t(v.size()) != expected) {
        throw std::invalid_argument(std::string("gomhc::reference: ") + what + " has " +
                                    std::to_string(v.size()) + " entries, expected " +
                                    std::to_string(expected));
    }
}

void check_dims(int64_t tokens, int d, int s) {
    if (tokens < 0 || d < 1 || s < 1) {
        throw std::invalid_argument("gomhc::reference: bad sizes");
    }
}

}  // namespace

Vec cayley_forward(int64_t tokens, int n, const Vec &params) {
    check_dims(tokens, n, 1);
    const int64_t p_count = pair_count(n);
    const size_t nn = size_t(n) * n;
    check_size(params, tokens * p_count, "params");

    Vec q(size_t(tokens) * nn);
    for (int64_t t = 0; t < tokens; ++t) {
        const double *p = params.data() + t * p_count;
        Vec a(nn, 0.0);
        for (int i = 0; i < n; ++i) {
            for (int j = i + 1; j < n; ++j) {
                const double v = p[pair_index(i, j, n)];
                a[size_t(i) * n + j] = v;
                a[size_t(j) * n + i] = -v;
            }
        }
        Vec plus = identity(n);   // I + A
        Vec minus = identity(n);  // I - A
        for (size_t k = 0; k < nn; ++k) {
            plus[k] += a[k];
            minus[k] -= a[k];
        }
        const Vec qt = solve(n, plus, n, minus);
        std::copy(qt.begin(), qt.end(), q.begin() + t * nn);
    }
    return q;
}

Vec cayley_backward(int64_t tokens, int n, const Vec &q, const Vec &dq) {
    check_dims(tokens, n, 1);
    const int64_t p_count = pair_count(n);
    const size_t nn = size_t(n) * n;
    check_size(q, tokens * int64_t(nn), "q");
    check_size(dq, tokens * int64_t(nn), "dq");

    Vec dparams(size_t(tokens * p_count));
    for (int64_t t = 0; t < tokens; ++t) {
        // With M = I + A, Q = 2 M^{-1} - I, so M^{-1} = (Q + I)/2 and
        // dL/dA = -2 M^{-T} G M^{-T} = -(1/2) (Q^T + I) G (Q^T + I).
        Vec p = transpose(n, n, q.data() + t * nn);
        for (int i = 0; i < n; ++i) {
            p[size_t(i) * n + i] += 1.0;
        }
        const Vec pg = matmul(n, n, n, p.data(), dq.data() + t * nn);
        Vec da = matmul(n, n, n, pg.data(), p.data());
        for (double &v : da) {
            v *= -0.5;
        }
        // p_k enters A twice: +p_k at (i, j) and -p_k at (j, i).
        double *dp = dparams.data() + t * p_count;
        for (int i = 0; i < n; ++i) {
            for (int j = i + 1; j < n; ++j) {
                dp[pair_index(i, j, n)] = da[size_t(i) * n + j] - da[size_t(j) * n + i];
            }
        }
    }
    return dparams;
}

Vec orthostochastic_forward(int64_t tokens, int d, int s, const Vec &q) {
    check_dims(tokens, d, s);
    const int n = d * s;
    const size_t nn = size_t(n) * n;
    check_size(q, tokens * int64_t(nn), "q");

    Vec h(size_t(tokens) * d * d, 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        const double *qt = q.data() + t * nn;
        double *ht = h.data() + t * d * d;
        for (int i = 0; i < d; ++i) {
            for (int j = 0; j < d; ++j) {
                double sum = 0.0;
                for (int a = 0; a < s; ++a) {
                    for (int b = 0; b < s; ++b) {
                        const double v = qt[size_t(i * s + a) * n + (j * s + b)];
                        sum += v * v;
                    }
                }
                ht[i * d + j] = sum / s;
            }
        }
    }
    return h;
}

Vec orthostochastic_backward(int64_t tokens, int d, int s, const Vec &q, const Vec &dh) {
    check_dims(tokens, d, s);
    const int n = d * s;
    const size_t nn = size_t(n) * n;
    check_size(q, tokens * int64_t(nn), "q");
    check_size(dh, tokens * d * d, "dh");

    Vec dq(size_t(tokens) * nn);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int r = 0; r < n; ++r) {
            for (int c = 0; c < n; ++c) {
                const size_t k = t * nn + size_t(r) * n + c;
                dq[k] = (2.0 / s) * q[k] * dh[t * d * d + (r / s) * d + (c / s)];
            }
        }
    }
    return dq;
}

// ---------------------------------------------------------------------------
// Stream mixing.

Vec stream_read_forward(int64_t tokens, int d, int64_t c, const Vec &x, const Vec &h_pre) {
    check_dims(tokens, d, 1);
    check_size(x, tokens * d * c, "x");
    check_size(h_pre, tokens * d, "h_pre");

    Vec y(size_t(tokens * c), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int j = 0; j < d; ++j) {
            for (int64_t k = 0; k < c; ++k) {
                y[t * c + k] += h_pre[t * d + j] * x[(t * d + j) * c + k];
            }
        }
    }
    return y;
}

Vec stream_sum_forward(int64_t tokens, int d, int64_t c, const Vec &x, double scale) {
    check_dims(tokens, d, 1);
    check_size(x, tokens * d * c, "x");
    Vec y(size_t(tokens * c), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int j = 0; j < d; ++j) {
            for (int64_t k = 0; k < c; ++k) {
                y[t * c + k] += x[(t * d + j) * c + k];
            }
        }
    }
    for (double &v : y) {
        v *= scale;
    }
    return y;
}

Vec stream_sum_backward(int64_t tokens, int d, int64_t c, const Vec &dy, double scale) {
    check_dims(tokens, d, 1);
    check_size(dy, tokens * c, "dy");
    Vec dx(size_t(tokens * d * c));
    for (int64_t t = 0; t < tokens; ++t) {
        for (int j = 0; j < d; ++j) {
            for (int64_t k = 0; k < c; ++k) {
                dx[(t * d + j) * c + k] = scale * dy[t * c + k];
            }
        }
    }
    return dx;
}

Vec stream_embed_forward(int64_t tokens, int d, int64_t c, const Vec &x, const Vec &wse) {
    check_dims(tokens, d, 1);
    check_size(x, tokens * d * c, "x");
    check_size(wse, d * c, "wse");
    Vec out(x.size());
    for (int64_t t = 0; t < tokens; ++t) {
        for (int64_t e = 0; e < d * c; ++e) {
            out[size_t(t * d * c + e)] = x[size_t(t * d * c + e)] + wse[size_t(e)];
        }
    }
    return out;
}

Vec stream_embed_backward(int64_t tokens, int d, int64_t c, const Vec &dout, const Vec &dwse_in) {
    check_dims(tokens, d, 1);
    check_size(dout, tokens * d * c, "dout");
    check_size(dwse_in, d * c, "dwse_in");
    Vec dwse = dwse_in;
    for (int64_t t = 0; t < tokens; ++t) {
        for (int64_t e = 0; e < d * c; ++e) {
            dwse[size_t(e)] += dout[size_t(t * d * c + e)];
        }
    }
    return dwse;
}

StreamReadGrads stream_read_backward(int64_t tokens, int d, int64_t c, const Vec &x,
                                     const Vec &h_pre, const Vec &dy) {
    check_dims(tokens, d, 1);
    check_size(x, tokens * d * c, "x");
    check_size(h_pre, tokens * d, "h_pre");
    check_size(dy, tokens * c, "dy");

    StreamReadGrads g;
    g.dx.assign(size_t(tokens * d * c), 0.0);
    g.dh_pre.assign(size_t(tokens * d), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int j = 0; j < d; ++j) {
            for (int64_t k = 0; k < c; ++k) {
                g.dx[(t * d + j) * c + k] = h_pre[t * d + j] * dy[t * c + k];
                g.dh_pre[t * d + j] += dy[t * c + k] * x[(t * d + j) * c + k];
            }
        }
    }
    return g;
}

Vec stream_write_forward(int64_t tokens, int d, int64_t c, const Vec &x, const Vec &h_res,
                         const Vec &h_post, const Vec &f) {
    check_dims(tokens, d, 1);
    check_size(x, tokens * d * c, "x");
    check_size(h_res, tokens * d * d, "h_res");
    check_size(h_post, tokens * d, "h_post");
    check_size(f, tokens * c, "f");

    Vec out(size_t(tokens * d * c), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int i = 0; i < d; ++i) {
            for (int64_t k = 0; k < c; ++k) {
                double v = h_post[t * d + i] * f[t * c + k];
                for (int j = 0; j < d; ++j) {
                    v += h_res[(t * d + i) * d + j] * x[(t * d + j) * c + k];
                }
                out[(t * d + i) * c + k] = v;
            }
        }
    }
    return out;
}

StreamWriteGrads stream_write_backward(int64_t tokens, int d, int64_t c, const Vec &x,
                                       const Vec &h_res, const Vec &h_post, const Vec &f,
                                       const Vec &dx_next) {
    check_dims(tokens, d, 1);
    check_size(x, tokens * d * c, "x");
    check_size(h_res, tokens * d * d, "h_res");
    check_size(h_post, tokens * d, "h_post");
    check_size(f, tokens * c, "f");
    check_size(dx_next, tokens * d * c, "dx_next");

    StreamWriteGrads g;
    g.dx.assign(size_t(tokens * d * c), 0.0);
    g.dh_res.assign(size_t(tokens * d * d), 0.0);
    g.dh_post.assign(size_t(tokens * d), 0.0);
    g.df.assign(size_t(tokens * c), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int i = 0; i < d; ++i) {
            for (int64_t k = 0; k < c; ++k) {
                const double dout = dx_next[(t * d + i) * c + k];
                for (int j = 0; j < d; ++j) {
                    g.dx[(t * d + j) * c + k] += h_res[(t * d + i) * d + j] * dout;
                    g.dh_res[(t * d + i) * d + j] += dout * x[(t * d + j) * c + k];
                }
                g.dh_post[t * d + i] += dout * f[t * c + k];
                g.df[t * c + k] += h_post[t * d + i] * dout;
            }
        }
    }
    return g;
}

// ---------------------------------------------------------------------------
// Test helpers.

double Rng::normal(double sigma) { return std::normal_distribution<double>(0.0, sigma)(engine_); }

double Rng::uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine_);
}

Vec Rng::normal_vec(size_t count, double sigma) {
    std::normal_distribution<double> dist(0.0, sigma);
    Vec v(count);
    for (double &e : v) {
        e = dist(engine_);
    }
    return v;
}

Vec Rng::uniform_vec(size_t count, double lo, double hi) {
    std::uniform_real_distribution<double> dist(lo, hi);
    Vec v(count);
    for (double &e : v) {
        e = dist(engine_);
    }
    return v;
}

Vec round_to_float(const Vec &v) {
    Vec out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        out[i] = double(float(v[i]));
    }
    return out;
}

std::vector<float> to_float(const Vec &v) { return std::vector<float>(v.begin(), v.end()); }

Vec to_double(const std::vector<float> &v) { return Vec(v.begin(), v.end()); }

double max_abs(const Vec &v) {
    double m = 0.0;
    for (double e : v) {
        m = std::isnan(e) ? INFINITY : std::max(m, std::fabs(e));
    }
    return m;
}

namespace {
void check_same_size(const Vec &a, const Vec &b) {
    if (a.size() != b.size()) {
        throw std::invalid_argument("gomhc::reference: comparing vectors of different sizes");
    }
}
}  // namespace

// NaN must never compare as "small": std::max would drop it, so NaN is mapped
// to infinity explicitly in the error measures below.
double max_abs_error(const Vec &a, const Vec &b) {
    check_same_size(a, b);
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double e = std::fabs(a[i] - b[i]);
        m = std::isnan(e) ? INFINITY : std::max(m, e);
    }
    return m;
}

double max_relative_error(const Vec &a, const Vec &b, double floor) {
    check_same_size(a, b);
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double e = std::fabs(a[i] - b[i]) / std::max(std::fabs(b[i]), floor);
        m = std::isnan(e) ? INFINITY : std::max(m, e);
    }
    return m;
}

double normwise_error(const Vec &a, const Vec &b) {
    const double err = max_abs_error(a, b);
    const double scale = max_abs(b);
    if (scale == 0.0) {
        return err;
    }
    return err / scale;
}

bool all_finite(const Vec &v) {
    return std::all_of(v.begin(), v.end(), [](double e) { return std::isfinite(e); });
}

double dot(const Vec &a, const Vec &b) {
    check_same_size(a, b);
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        s += a[i] * b[i];
    }
    return s;
}

Vec numeric_gradient(const std::function<double(const Vec &)> &f, const Vec &x, double h) {
    Vec g(x.size());
    Vec probe = x;
    for (size_t k = 0; k < x.size(); ++k) {
        probe[k] = x[k] + h;
        const double up = f(probe);
        probe[k] = x[k] - h;
        const double down = f(probe);
        probe[k] = x[k];
        // Divide by the step actually taken, which rounding may have changed.
        g[k] = (up - down) / ((x[k] + h) - (x[k] - h));
    }
    return g;
}

double max_orthogonality_error(int64_t tokens, int n, const Vec &q) {
    const size_t nn = size_t(n) * n;
    check_size(q, tokens * int64_t(nn), "q");
    double m = 0.0;
    for (int64_t t = 0; t < tokens; ++t) {
        const double *qt = q.data() + t * nn;
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                double v = 0.0;
                for (int k = 0; k < n; ++k) {
                    v += qt[size_t(k) * n + i] * qt[size_t(k) * n + j];
                }
                const double e = std::fabs(v - (i == j ? 1.0 : 0.0));
                m = std::isnan(e) ? INFINITY : std::max(m, e);
            }
        }
    }
    return m;
}

double max_row_sum_error(int64_t tokens, int d, const Vec &h) {
    check_size(h, tokens * d * d, "h");
    double m = 0.0;
    for (int64_t t = 0; t < tokens; ++t) {
        for (int i = 0; i < d; ++i) {
            double sum = 0.0;
            for (int j = 0; j < d; ++j) {
                sum += h[(t * d + i) * d + j];
            }
            const double e = std::fabs(sum - 1.0);
            m = std::isnan(e) ? INFINITY : std::max(m, e);
        }
    }
    return m;
}

double max_col_sum_error(int64_t tokens, int d, const Vec &h) {
    check_size(h, tokens * d * d, "h");
    double m = 0.0;
    for (int64_t t = 0; t < tokens; ++t) {
        for (int j = 0; j < d; ++j) {
            double sum = 0.0;
            for (int i = 0; i < d; ++i) {
                sum += h[(t * d + i) * d + j];
            }
            const double e = std::fabs(sum - 1.0);
            m = std::isnan(e) ? INFINITY : std::max(m, e);
        }
    }
    return m;
}

double min_entry(const Vec &v) {
    double m = INFINITY;
    for (double e : v) {
        m = std::isnan(e) ? -INFINITY : std::min(m, e);
    }
    return m;
}

double max_det_error(int64_t tokens, int n, const Vec &q) {
    const size_t nn = size_t(n) * n;
    check_size(q, tokens * int64_t(nn), "q");
    double m = 0.0;
    for (int64_t t = 0; t < tokens; ++t) {
        const double e = std::fabs(determinant(n, q.data() + t * nn) - 1.0);
        m = std::isnan(e) ? INFINITY : std::max(m, e);
    }
    return m;
}

}  // namespace gomhc::reference
