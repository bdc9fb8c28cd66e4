// The trainer's plain matrix products, handed to the kept BLAS: OpenBLAS on
// the host, cuBLAS on CUDA (when the build found the CUDA toolkit), CLBlast on
// OpenCL (when the build found it). Every product is row-major:
//   C [m][n] = alpha op(A) op(B) + beta C,  op(X) = X or X^T,
// with leading dimensions (row strides, in floats) so that a head's slice of
// a wider matrix is used in place.
#pragma once

#include <cstdint>
#include <gomhc/gomhc.hpp>

namespace gomhc::trainer {

// A matrix in a view's memory, `offset` floats into the view: the BLAS
// libraries take an address (host, CUDA) or a buffer and an offset (OpenCL).
struct MatrixArg {
    const float *base;  // an address, or a cl_mem
    int64_t offset;     // in floats, from base
    int64_t ld;         // row stride of the stored matrix
    bool transposed;    // use X^T
};
MatrixArg matrix(const TensorView &v, int64_t offset, int64_t ld, bool transposed = false);

void matmul(Device device, int64_t m, int64_t n, int64_t k, float alpha, MatrixArg a, MatrixArg b,
            float beta, MatrixArg c);

// `count` products at once, the i-th at a + i * stride_a, b + i * stride_b,
// c + i * stride_c (one batched call on CUDA and OpenCL).
void matmul_batched(Device device, int64_t count, int64_t m, int64_t n, int64_t k, float alpha,
                    MatrixArg a, int64_t stride_a, MatrixArg b, int64_t stride_b, float beta,
                    MatrixArg c, int64_t stride_c);

// How the host's products use threads. 0 (the default): OpenBLAS runs on one
// thread and each product is cut into slices run on gomhc's thread pool
// (gomhc::set_num_threads sets its size), so one pool serves the kernels and
// the products. n >= 1: OpenBLAS's own pool of n threads (the products whole).
void set_blas_threads(int threads);
// Whether this build has the matrix products of CUDA (cuBLAS) and of OpenCL
// (CLBlast).
bool cuda_blas_built();
bool opencl_blas_built();

}  // namespace gomhc::trainer
