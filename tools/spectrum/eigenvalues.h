// Eigenvalues of small dense real matrices (the d x d mixers, d <= 64), with
// no library: balancing, Householder reduction to upper Hessenberg form, then Francis
// double-shift QR iterations with deflation and exceptional shifts.
#pragma once

#include <complex>
#include <vector>

namespace gomhc::tools {

// All n eigenvalues of the row-major n x n matrix a (copied, not modified),
// complex pairs adjacent with the positive imaginary part first, in no other
// particular order. Throws std::runtime_error if a non-finite entry is found or
// the QR iteration does not converge (it does in practice within a few steps
// per eigenvalue; the limit is 100 iterations per eigenvalue).
std::vector<std::complex<double>> eigenvalues(int n, const double *a);
std::vector<std::complex<double>> eigenvalues(int n, const std::vector<double> &a);

}  // namespace gomhc::tools
