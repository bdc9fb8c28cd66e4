// OpenBLAS and cuBLAS behind trainer/matmul.h.
#include "matmul.h"

#include <cblas.h>

#include <string>

#ifdef GOMHC_TRAINER_CUBLAS
#include <cublas_v2.h>
#include <cuda_runtime.h>
#endif

namespace gomhc::trainer {

namespace {

CBLAS_TRANSPOSE cblas_op(const MatrixArg &x) { return x.transposed ? CblasTrans : CblasNoTrans; }

#ifdef GOMHC_TRAINER_CUBLAS
cublasHandle_t cublas() {
    static cublasHandle_t handle = [] {
        cublasHandle_t h = nullptr;
        if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
            throw Error("gomhc train: cuBLAS could not be initialised");
        }
        return h;
    }();
    return handle;
}

void check_cublas(cublasStatus_t status, const char *what) {
    if (status != CUBLAS_STATUS_SUCCESS) {
        throw KernelError(std::string("gomhc train: ") + what + " failed (cuBLAS status " +
                          std::to_string(int(status)) + ")");
    }
}

cublasOperation_t cublas_op(const MatrixArg &x) { return x.transposed ? CUBLAS_OP_T : CUBLAS_OP_N; }
#endif

[[noreturn]] void no_cuda_blas() {
    throw Error(
        "gomhc train: this build has no cuBLAS (the CUDA toolkit was not found when it "
        "was configured), so it cannot train on CUDA");
}

}  // namespace

bool cuda_blas_built() {
#ifdef GOMHC_TRAINER_CUBLAS
    return true;
#else
    return false;
#endif
}

void matmul(Device device, int64_t m, int64_t n, int64_t k, float alpha, MatrixArg a, MatrixArg b,
            float beta, float *c, int64_t ldc) {
    if (device == Device::host) {
        cblas_sgemm(CblasRowMajor, cblas_op(a), cblas_op(b), int(m), int(n), int(k), alpha, a.data,
                    int(a.ld), b.data, int(b.ld), beta, c, int(ldc));
        return;
    }
#ifdef GOMHC_TRAINER_CUBLAS
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    check_cublas(cublasSgemm(cublas(), cublas_op(b), cublas_op(a), int(n), int(m), int(k), &alpha,
                             b.data, int(b.ld), a.data, int(a.ld), &beta, c, int(ldc)),
                 "cublasSgemm");
#else
    no_cuda_blas();
#endif
}

void matmul_batched(Device device, int64_t count, int64_t m, int64_t n, int64_t k, float alpha,
                    MatrixArg a, int64_t stride_a, MatrixArg b, int64_t stride_b, float beta,
                    float *c, int64_t ldc, int64_t stride_c) {
    if (device == Device::host) {
        for (int64_t i = 0; i < count; i++) {
            cblas_sgemm(CblasRowMajor, cblas_op(a), cblas_op(b), int(m), int(n), int(k), alpha,
                        a.data + i * stride_a, int(a.ld), b.data + i * stride_b, int(b.ld), beta,
                        c + i * stride_c, int(ldc));
        }
        return;
    }
#ifdef GOMHC_TRAINER_CUBLAS
    check_cublas(
        cublasSgemmStridedBatched(cublas(), cublas_op(b), cublas_op(a), int(n), int(m), int(k),
                                  &alpha, b.data, int(b.ld), stride_b, a.data, int(a.ld), stride_a,
                                  &beta, c, int(ldc), stride_c, int(count)),
        "cublasSgemmStridedBatched");
#else
    no_cuda_blas();
#endif
}

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }
int blas_threads() { return openblas_get_num_threads(); }

}  // namespace gomhc::trainer
