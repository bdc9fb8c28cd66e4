// Helpers of the spectral-reach search of `gomhc spectrum`: a mixer H is
// moved so that one of its eigenvalues approaches a target point w, by
// gradient descent on log |det(H - w I)|^2 = sum_k log |lambda_k - w|^2
// (whose steepest term is that of the eigenvalue nearest w).
#pragma once

#include <complex>
#include <random>
#include <vector>

#include "spectrum/karpelevic.h"

namespace gomhc::tools {

// grad = d/dH log |det(H - w I)|^2 = 2 Re((H - w I)^{-T}) for the row-major
// d x d matrix h. Returns false (grad untouched) if H - w I is singular to
// working precision.
bool log_det_gradient(int d, const float *h, std::complex<double> w, float *grad);

// The notebook's spectral loss of one mixer: L = min_k |lambda_k - w|^2 over
// the eigenvalues of the row-major d x d matrix h, and grad = dL/dH through
// the nearest eigenvalue (d lambda/dH from its left and right vectors):
// dL/dH = 2 Re(conj(lambda - w) d lambda/dH). Writes the nearest eigenvalue
// to *nearest and, when all is not null, every eigenvalue to *all. Where that eigenvalue is
// (nearly) defective the derivative is undefined and grad is set to zero.
double nearest_eigenvalue_loss(int d, const float *h, std::complex<double> w, float *grad,
                               std::complex<double> *nearest,
                               std::vector<std::complex<double>> *all = nullptr);

// A point drawn uniformly from the region (from [-1, 1] where it has no
// interior).
std::complex<double> sample_region_point(const KarpelevicRegion &region, std::mt19937_64 &rng);

}  // namespace gomhc::tools
