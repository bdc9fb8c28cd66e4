#include "spectrum/eigenvalues.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace gomhc::tools {
namespace {

// A Householder reflector P = I - tau v v^T with v[0] = 1 that maps the
// vector (x[0], ..., x[m-1]) to (beta, 0, ..., 0). Returns false (P = I) when
// the tail of x is already zero.
struct Reflector {
    double v[3] = {1, 0, 0};
    double tau = 0;
};

// Reflector for a 2- or 3-vector (the QR sweep's bulge).
bool make_reflector(int m, const double *x, Reflector *r) {
    double tail = 0;
    for (int i = 1; i < m; i++) tail += x[i] * x[i];
    if (tail == 0) return false;
    const double norm = std::sqrt(x[0] * x[0] + tail);
    const double beta = x[0] >= 0 ? -norm : norm;
    const double v0 = x[0] - beta;
    r->v[0] = 1;
    for (int i = 1; i < m; i++) r->v[i] = x[i] / v0;
    for (int i = m; i < 3; i++) r->v[i] = 0;
    r->tau = (beta - x[0]) / beta;
    return true;
}

class Matrix {
public:
    explicit Matrix(int n, const double *a) : n_(n), a_(a, a + size_t(n) * n) {}
    double &operator()(int i, int j) { return a_[size_t(i) * n_ + j]; }
    int n() const { return n_; }

private:
    int n_;
    std::vector<double> a_;
};

// H <- P H P with P acting on rows/columns k..k+m-1; rows and columns limited
// to [lo, hi] (the active window: what lies outside it no longer affects the
// eigenvalues still to be found).
void apply_reflector(Matrix &h, const Reflector &r, int m, int k, int lo, int hi) {
    for (int j = std::max(lo, k - 1); j <= hi; j++) {  // left: rows k..k+m-1
        double s = 0;
        for (int i = 0; i < m; i++) s += r.v[i] * h(k + i, j);
        s *= r.tau;
        for (int i = 0; i < m; i++) h(k + i, j) -= s * r.v[i];
    }
    const int last_row = std::min(hi, k + m);  // right: columns k..k+m-1
    for (int i = lo; i <= last_row; i++) {
        double s = 0;
        for (int j = 0; j < m; j++) s += h(i, k + j) * r.v[j];
        s *= r.tau;
        for (int j = 0; j < m; j++) h(i, k + j) -= s * r.v[j];
    }
}

// Diagonal similarity by powers of 2 (exact in floating point) that brings
// each row's and column's off-diagonal norms close (Parlett and Reinsch): it
// makes the eigenvalues of badly scaled matrices much less sensitive to the
// rounding errors of the QR iteration.
void balance(Matrix &a) {
    const int n = a.n();
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < n; i++) {
            double row = 0, col = 0;
            for (int j = 0; j < n; j++) {
                if (j == i) continue;
                row += std::abs(a(i, j));
                col += std::abs(a(j, i));
            }
            if (row == 0 || col == 0) continue;
            const double total = row + col;
            double f = 1;
            while (col < row / 2) {
                col *= 4;
                f *= 2;
            }
            while (col > row * 2) {
                col /= 4;
                f /= 2;
            }
            if ((col + row) / f < 0.95 * total) {  // scale column i by f, row i by 1/f
                changed = true;
                for (int j = 0; j < n; j++) a(i, j) /= f;
                for (int j = 0; j < n; j++) a(j, i) *= f;
            }
        }
    }
}

// Householder reduction to upper Hessenberg form (full reflectors, n small).
void to_hessenberg(Matrix &h) {
    const int n = h.n();
    std::vector<double> v(n);
    for (int k = 0; k + 2 < n; k++) {
        double tail = 0;
        for (int i = k + 2; i < n; i++) tail += h(i, k) * h(i, k);
        if (tail == 0) continue;
        const double x0 = h(k + 1, k);
        const double norm = std::sqrt(x0 * x0 + tail);
        const double beta = x0 >= 0 ? -norm : norm;
        const double v0 = x0 - beta;
        v[k + 1] = 1;
        for (int i = k + 2; i < n; i++) v[i] = h(i, k) / v0;
        const double tau = (beta - x0) / beta;
        for (int j = k; j < n; j++) {
            double s = 0;
            for (int i = k + 1; i < n; i++) s += v[i] * h(i, j);
            s *= tau;
            for (int i = k + 1; i < n; i++) h(i, j) -= s * v[i];
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = k + 1; j < n; j++) s += h(i, j) * v[j];
            s *= tau;
            for (int j = k + 1; j < n; j++) h(i, j) -= s * v[j];
        }
        h(k + 1, k) = beta;
        for (int i = k + 2; i < n; i++) h(i, k) = 0;
    }
}

// The eigenvalues of [[a, b], [c, d]], computed without cancellation.
void eigenvalues_2x2(double a, double b, double c, double d, std::complex<double> *l1,
                     std::complex<double> *l2) {
    const double p = 0.5 * (a - d);
    const double bc = b * c;
    const double disc = p * p + bc;
    if (disc >= 0) {
        const double z = p + std::copysign(std::sqrt(disc), p);
        *l1 = d + z;
        *l2 = z != 0 ? d - bc / z : d;
    } else {
        const double mean = 0.5 * (a + d), im = std::sqrt(-disc);
        *l1 = {mean, im};
        *l2 = {mean, -im};
    }
}

}  // namespace

std::vector<std::complex<double>> eigenvalues(int n, const double *a) {
    if (n < 0) throw std::invalid_argument("eigenvalues: negative size");
    for (size_t i = 0; i < size_t(n) * n; i++) {
        if (!std::isfinite(a[i])) {
            throw std::runtime_error("eigenvalues: non-finite matrix entry " + std::to_string(i));
        }
    }
    std::vector<std::complex<double>> out(n);
    if (n == 0) return out;
    Matrix h(n, a);
    balance(h);
    to_hessenberg(h);
    double norm = 0;
    for (int i = 0; i < n; i++) {
        for (int j = std::max(0, i - 1); j < n; j++) norm = std::max(norm, std::abs(h(i, j)));
    }
    if (norm == 0) return out;  // the zero matrix
    const double eps = std::numeric_limits<double>::epsilon();
    int hi = n - 1, iterations = 0;
    while (hi >= 0) {
        // The active window [lo, hi]: the unreduced Hessenberg block at the bottom.
        int lo = hi;
        while (lo > 0) {
            double s = std::abs(h(lo - 1, lo - 1)) + std::abs(h(lo, lo));
            if (s == 0) s = norm;
            if (std::abs(h(lo, lo - 1)) <= eps * s) {
                h(lo, lo - 1) = 0;
                break;
            }
            lo--;
        }
        if (lo == hi) {  // a 1 x 1 block
            out[hi] = h(hi, hi);
            hi -= 1;
            iterations = 0;
            continue;
        }
        if (lo == hi - 1) {  // a 2 x 2 block
            eigenvalues_2x2(h(hi - 1, hi - 1), h(hi - 1, hi), h(hi, hi - 1), h(hi, hi),
                            &out[hi - 1], &out[hi]);
            hi -= 2;
            iterations = 0;
            continue;
        }
        // Stagnation: clusters of (nearly) repeated eigenvalues can make the
        // Francis shifts annihilate the whole window (p(H) ~ 0), so that a
        // tiny subdiagonal entry never shrinks to rounding level. After 20
        // iterations, zero the smallest subdiagonal entry of the window if it
        // is below 1e-9 |H| (a perturbation far below float32 rounding).
        if (iterations >= 20 && iterations % 5 == 0) {
            int k_min = lo + 1;
            for (int k = lo + 2; k <= hi; k++) {
                if (std::abs(h(k, k - 1)) < std::abs(h(k_min, k_min - 1))) k_min = k;
            }
            if (std::abs(h(k_min, k_min - 1)) <= 1e-9 * norm) {
                h(k_min, k_min - 1) = 0;
                continue;
            }
        }
        if (++iterations > 100) {
            throw std::runtime_error(
                "eigenvalues: QR iteration did not converge (n = " + std::to_string(n) + ")");
        }
        // The two shifts, as their sum and product: the eigenvalues of the
        // trailing 2 x 2 block (Francis), or every 10th iteration an
        // exceptional pair that breaks cycles (e.g. on permutation matrices,
        // where the Francis shifts leave the matrix unchanged).
        double sum, product;
        if (iterations % 10 == 0) {
            const double s = std::abs(h(hi, hi - 1)) + std::abs(h(hi - 1, hi - 2));
            const double x = h(hi, hi);
            sum = 2 * x + 1.5 * s;
            product = x * x + 1.5 * s * x + s * s;
        } else {
            sum = h(hi - 1, hi - 1) + h(hi, hi);
            product = h(hi - 1, hi - 1) * h(hi, hi) - h(hi - 1, hi) * h(hi, hi - 1);
        }
        // First column of (H - mu1)(H - mu2), then chase the bulge down.
        double x[3];
        x[0] = h(lo, lo) * h(lo, lo) + h(lo, lo + 1) * h(lo + 1, lo) - sum * h(lo, lo) + product;
        x[1] = h(lo + 1, lo) * (h(lo, lo) + h(lo + 1, lo + 1) - sum);
        x[2] = h(lo + 1, lo) * h(lo + 2, lo + 1);
        for (int k = lo; k <= hi - 1; k++) {
            const int m = k + 2 <= hi ? 3 : 2;
            if (k > lo) {
                for (int i = 0; i < m; i++) x[i] = h(k + i, k - 1);
            }
            Reflector r;
            if (make_reflector(m, x, &r)) apply_reflector(h, r, m, k, lo, hi);
            if (k > lo) {
                for (int i = 1; i < m; i++) h(k + i, k - 1) = 0;  // exact zeros under the bulge
            }
        }
    }
    // Complex pairs: positive imaginary part first.
    for (int i = 0; i + 1 < n; i++) {
        if (out[i].imag() < 0 && out[i + 1] == std::conj(out[i])) {
            std::swap(out[i], out[i + 1]);
            i++;
        }
    }
    return out;
}

std::vector<std::complex<double>> eigenvalues(int n, const std::vector<double> &a) {
    if (a.size() != size_t(n) * n) {
        throw std::invalid_argument("eigenvalues: " + std::to_string(a.size()) + " entries for a " +
                                    std::to_string(n) + " x " + std::to_string(n) + " matrix");
    }
    return eigenvalues(n, a.data());
}

}  // namespace gomhc::tools
