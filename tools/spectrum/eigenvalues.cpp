#include "spectrum/eigenvalues.h"

#include <cmath>
#include <stdexcept>
#include <string>

// LAPACK's Fortran entry point (OpenBLAS exports it; Debian ships no LAPACKE
// header with it). The two trailing lengths are gfortran's hidden CHARACTER
// argument lengths.
extern "C" void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a,
                       const int *lda, double *wr, double *wi, double *vl, const int *ldvl,
                       double *vr, const int *ldvr, double *work, const int *lwork, int *info,
                       size_t jobvl_len, size_t jobvr_len);

namespace gomhc::tools {
namespace {

using Complex = std::complex<double>;

// Runs dgeev on the row-major matrix; vl/vr (column-major n x n) when wanted.
void geev(int n, const double *a, std::vector<double> &wr, std::vector<double> &wi,
          std::vector<double> *vl, std::vector<double> *vr) {
    if (n < 1) throw std::invalid_argument("eigenvalues: n must be >= 1, got " + std::to_string(n));
    std::vector<double> m(size_t(n) * n);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            const double v = a[size_t(i) * n + j];
            if (!std::isfinite(v)) {
                throw std::invalid_argument("eigenvalues: entry (" + std::to_string(i) + ", " +
                                            std::to_string(j) + ") is not finite");
            }
            m[size_t(j) * n + i] = v;  // LAPACK is column-major
        }
    }
    wr.assign(size_t(n), 0.0);
    wi.assign(size_t(n), 0.0);
    const char jobvl = vl ? 'V' : 'N', jobvr = vr ? 'V' : 'N';
    if (vl) vl->assign(size_t(n) * n, 0.0);
    if (vr) vr->assign(size_t(n) * n, 0.0);
    double dummy = 0;
    const int ld_left = vl ? n : 1, ld_right = vr ? n : 1;
    int info = 0, lwork = -1;
    double query = 0;
    dgeev_(&jobvl, &jobvr, &n, m.data(), &n, wr.data(), wi.data(), vl ? vl->data() : &dummy,
           &ld_left, vr ? vr->data() : &dummy, &ld_right, &query, &lwork, &info, 1, 1);
    lwork = int(query);
    std::vector<double> work(size_t(std::max(lwork, 1)));
    dgeev_(&jobvl, &jobvr, &n, m.data(), &n, wr.data(), wi.data(), vl ? vl->data() : &dummy,
           &ld_left, vr ? vr->data() : &dummy, &ld_right, work.data(), &lwork, &info, 1, 1);
    if (info != 0) {
        throw std::runtime_error("eigenvalues: LAPACK dgeev failed (info " + std::to_string(info) +
                                 ") on a " + std::to_string(n) + " x " + std::to_string(n) +
                                 " matrix");
    }
}

// dgeev's column-major real vectors as complex ones: a complex pair k, k+1
// (wi[k] > 0) shares columns k and k+1 as the real and imaginary parts.
std::vector<Complex> complex_vectors(int n, const std::vector<double> &wi,
                                     const std::vector<double> &v) {
    std::vector<Complex> out(size_t(n) * n);
    for (int k = 0; k < n; k++) {
        const double *col = &v[size_t(k) * n];
        if (wi[k] == 0) {
            for (int i = 0; i < n; i++) out[size_t(i) * n + k] = col[i];
        } else if (wi[k] > 0 && k + 1 < n) {
            const double *next = &v[size_t(k + 1) * n];
            for (int i = 0; i < n; i++) {
                out[size_t(i) * n + k] = Complex(col[i], next[i]);
                out[size_t(i) * n + k + 1] = Complex(col[i], -next[i]);
            }
            k++;
        }
    }
    return out;
}

}  // namespace

std::vector<Complex> eigenvalues(int n, const double *a) {
    std::vector<double> wr, wi;
    geev(n, a, wr, wi, nullptr, nullptr);
    std::vector<Complex> values(static_cast<size_t>(n));
    for (int k = 0; k < n; k++) values[size_t(k)] = Complex(wr[k], wi[k]);
    return values;
}

std::vector<Complex> eigenvalues(int n, const std::vector<double> &a) {
    if (n < 1 || a.size() != size_t(n) * size_t(n)) {
        throw std::invalid_argument("eigenvalues: " + std::to_string(a.size()) + " entries for a " +
                                    std::to_string(n) + " x " + std::to_string(n) + " matrix");
    }
    return eigenvalues(n, a.data());
}

EigenDecomposition eigen_decomposition(int n, const double *a) {
    std::vector<double> wr, wi, vl, vr;
    geev(n, a, wr, wi, &vl, &vr);
    EigenDecomposition e;
    e.n = n;
    e.values.resize(size_t(n));
    for (int k = 0; k < n; k++) e.values[size_t(k)] = Complex(wr[k], wi[k]);
    e.right = complex_vectors(n, wi, vr);
    e.left = complex_vectors(n, wi, vl);
    return e;
}

bool eigenvalue_derivative(const EigenDecomposition &e, int k, Complex *grad) {
    const int n = e.n;
    Complex uv = 0;
    double norms = 0;
    for (int i = 0; i < n; i++) {
        const Complex u = e.left[size_t(i) * n + k], v = e.right[size_t(i) * n + k];
        uv += std::conj(u) * v;
        norms += std::norm(u) + std::norm(v);
    }
    // dgeev normalises both vectors to unit length, so |u^H v| is the
    // reciprocal of the eigenvalue's condition number.
    if (!(std::abs(uv) > 1e-8 * norms)) return false;
    for (int p = 0; p < n; p++) {
        for (int q = 0; q < n; q++) {
            grad[size_t(p) * n + q] =
                std::conj(e.left[size_t(p) * n + k]) * e.right[size_t(q) * n + k] / uv;
        }
    }
    return true;
}

}  // namespace gomhc::tools
