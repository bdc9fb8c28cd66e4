// The trainer's plain matrix products, handed to the kept BLAS: OpenBLAS on
// the host, cuBLAS on CUDA (when the build found the CUDA toolkit). Every
// product is row-major:
//   C [m][n] = alpha op(A) op(B) + beta C,  op(X) = X or X^T,
// with leading dimensions (row strides, in floats) so that a head's slice of
// a wider matrix is used in place.
#pragma once

#include <cstdint>
#include <gomhc/gomhc.hpp>

namespace gomhc::trainer {

struct MatrixArg {
    const float *data;
    int64_t ld;       // row stride of the stored matrix
    bool transposed;  // use X^T
};

void matmul(Device device, int64_t m, int64_t n, int64_t k, float alpha, MatrixArg a, MatrixArg b,
            float beta, float *c, int64_t ldc);

// `count` products at once, the i-th at a + i * stride_a, b + i * stride_b,
// c + i * stride_c (one batched call on CUDA).
void matmul_batched(Device device, int64_t count, int64_t m, int64_t n, int64_t k, float alpha,
                    MatrixArg a, int64_t stride_a, MatrixArg b, int64_t stride_b, float beta,
                    float *c, int64_t ldc, int64_t stride_c);

// The BLAS's host threads (OpenBLAS); the trainer sets them with Halide's.
void set_blas_threads(int threads);
int blas_threads();
// Whether CUDA matrix products are available in this build.
bool cuda_blas_built();

}  // namespace gomhc::trainer
