#include "spectrum/reach.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "spectrum/eigenvalues.h"

namespace gomhc::tools {

bool log_det_gradient(int d, const float *h, std::complex<double> w, float *grad) {
    using Complex = std::complex<double>;
    // Gauss-Jordan inversion of M = H - w I with partial pivoting.
    std::vector<Complex> m(size_t(d) * d), inv(size_t(d) * d, 0.0);
    double scale = 0;
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
            m[size_t(i) * d + j] = double(h[size_t(i) * d + j]) - (i == j ? w : 0.0);
            scale = std::max(scale, std::abs(m[size_t(i) * d + j]));
        }
        inv[size_t(i) * d + i] = 1;
    }
    for (int c = 0; c < d; c++) {
        int p = c;
        for (int r = c + 1; r < d; r++) {
            if (std::abs(m[size_t(r) * d + c]) > std::abs(m[size_t(p) * d + c])) p = r;
        }
        if (!(std::abs(m[size_t(p) * d + c]) > 1e-14 * scale)) return false;
        if (p != c) {
            for (int j = 0; j < d; j++) {
                std::swap(m[size_t(p) * d + j], m[size_t(c) * d + j]);
                std::swap(inv[size_t(p) * d + j], inv[size_t(c) * d + j]);
            }
        }
        const Complex pivot = m[size_t(c) * d + c];
        for (int j = 0; j < d; j++) {
            m[size_t(c) * d + j] /= pivot;
            inv[size_t(c) * d + j] /= pivot;
        }
        for (int r = 0; r < d; r++) {
            const Complex f = m[size_t(r) * d + c];
            if (r == c || f == Complex(0)) continue;
            for (int j = 0; j < d; j++) {
                m[size_t(r) * d + j] -= f * m[size_t(c) * d + j];
                inv[size_t(r) * d + j] -= f * inv[size_t(c) * d + j];
            }
        }
    }
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
            const double g = 2 * inv[size_t(j) * d + i].real();
            if (!std::isfinite(g)) return false;
            grad[size_t(i) * d + j] = float(g);
        }
    }
    return true;
}

double nearest_eigenvalue_loss(int d, const float *h, std::complex<double> w, float *grad,
                               std::complex<double> *nearest,
                               std::vector<std::complex<double>> *all) {
    std::vector<double> m(size_t(d) * d);
    for (size_t i = 0; i < m.size(); i++) m[i] = h[i];
    const EigenDecomposition e = eigen_decomposition(d, m.data());
    int k = 0;
    for (int j = 1; j < d; j++) {
        if (std::norm(e.values[size_t(j)] - w) < std::norm(e.values[size_t(k)] - w)) k = j;
    }
    const std::complex<double> lambda = e.values[size_t(k)];
    *nearest = lambda;
    if (all) *all = e.values;
    std::vector<std::complex<double>> dlambda(m.size());
    if (eigenvalue_derivative(e, k, dlambda.data())) {
        for (size_t i = 0; i < m.size(); i++) {
            grad[i] = float(2 * (std::conj(lambda - w) * dlambda[i]).real());
        }
    } else {
        std::fill(grad, grad + m.size(), 0.0f);
    }
    return std::norm(lambda - w);
}

std::complex<double> sample_region_point(const KarpelevicRegion &region, std::mt19937_64 &rng) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    if (!region.has_interior()) return {u(rng), 0.0};
    for (;;) {
        const std::complex<double> z(u(rng), u(rng));
        if (region.contains(z)) return z;
    }
}

}  // namespace gomhc::tools
