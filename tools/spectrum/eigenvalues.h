// Eigenvalues and eigenvectors of the small dense real matrices the spectrum
// tool studies (the d x d mixers), with LAPACK's dgeev from OpenBLAS.
#pragma once

#include <complex>
#include <vector>

namespace gomhc::tools {

// All n eigenvalues of the row-major n x n matrix a (copied, not modified),
// complex pairs adjacent with the positive imaginary part first, in no other
// particular order. Throws std::invalid_argument for a wrong size or a
// non-finite entry, std::runtime_error if LAPACK's QR iteration fails.
std::vector<std::complex<double>> eigenvalues(int n, const double *a);
std::vector<std::complex<double>> eigenvalues(int n, const std::vector<double> &a);

// Eigenvalues with their right vectors (A v = lambda v) and left vectors
// (u^H A = lambda u^H), row-major: right[i * n + k] is entry i of the vector
// of values[k], likewise left.
struct EigenDecomposition {
    int n = 0;
    std::vector<std::complex<double>> values, right, left;
};
EigenDecomposition eigen_decomposition(int n, const double *a);

// grad[p * n + q] = d lambda_k / d A[p][q] = conj(u_p) v_q / (u^H v) for the
// eigenvalue values[k]. Returns false (grad untouched) where u^H v is too small
// for the derivative to mean anything (a defective or nearly defective
// eigenvalue).
bool eigenvalue_derivative(const EigenDecomposition &e, int k, std::complex<double> *grad);

}  // namespace gomhc::tools
