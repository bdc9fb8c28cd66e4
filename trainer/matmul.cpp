// OpenBLAS, cuBLAS and CLBlast behind trainer/matmul.h.
#include "matmul.h"

#include <cblas.h>

#include <string>

#ifdef GOMHC_TRAINER_CUBLAS
#include <cublas_v2.h>
#include <cuda_runtime.h>
#endif
#ifdef GOMHC_TRAINER_CLBLAST
#include <clblast.h>
#endif

namespace gomhc::trainer {

namespace {

const float *address(const MatrixArg &x) { return x.base + x.offset; }
float *written(const MatrixArg &x) { return const_cast<float *>(address(x)); }

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

#ifdef GOMHC_TRAINER_CLBLAST
cl_mem buffer(const MatrixArg &x) { return reinterpret_cast<cl_mem>(const_cast<float *>(x.base)); }

clblast::Transpose clblast_op(const MatrixArg &x) {
    return x.transposed ? clblast::Transpose::kYes : clblast::Transpose::kNo;
}

// gomhc's command queue (the one its kernels run on, chosen as Halide
// chooses), so the products and the kernels run in order.
cl_command_queue *queue() {
    static cl_command_queue q;
    q = static_cast<cl_command_queue>(opencl_queue());
    return &q;
}

void check_clblast(clblast::StatusCode status, const char *what) {
    if (status != clblast::StatusCode::kSuccess) {
        throw KernelError(std::string("gomhc train: CLBlast ") + what + " failed (status " +
                          std::to_string(int(status)) + ")");
    }
}
#endif

[[noreturn]] void no_blas(Device device) {
    if (device == Device::cuda) {
        throw Error(
            "gomhc train: this build has no cuBLAS (the CUDA toolkit was not found when it "
            "was configured), so it cannot train on CUDA");
    }
    throw Error(
        "gomhc train: this build has no CLBlast (libclblast-dev was not found when it was "
        "configured), so it cannot train on OpenCL");
}

}  // namespace

MatrixArg matrix(const TensorView &v, int64_t offset, int64_t ld, bool transposed) {
    return {v.data(), v.offset() + offset, ld, transposed};
}

bool cuda_blas_built() {
#ifdef GOMHC_TRAINER_CUBLAS
    return true;
#else
    return false;
#endif
}

bool opencl_blas_built() {
#ifdef GOMHC_TRAINER_CLBLAST
    return true;
#else
    return false;
#endif
}

void matmul(Device device, int64_t m, int64_t n, int64_t k, float alpha, MatrixArg a, MatrixArg b,
            float beta, MatrixArg c) {
    switch (device) {
        case Device::host:
            cblas_sgemm(CblasRowMajor, cblas_op(a), cblas_op(b), int(m), int(n), int(k), alpha,
                        address(a), int(a.ld), address(b), int(b.ld), beta, written(c), int(c.ld));
            return;
        case Device::cuda:
#ifdef GOMHC_TRAINER_CUBLAS
            // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
            check_cublas(cublasSgemm(cublas(), cublas_op(b), cublas_op(a), int(n), int(m), int(k),
                                     &alpha, address(b), int(b.ld), address(a), int(a.ld), &beta,
                                     written(c), int(c.ld)),
                         "cublasSgemm");
            return;
#else
            break;
#endif
        case Device::opencl:
#ifdef GOMHC_TRAINER_CLBLAST
            check_clblast(
                clblast::Gemm(clblast::Layout::kRowMajor, clblast_op(a), clblast_op(b), size_t(m),
                              size_t(n), size_t(k), alpha, buffer(a), size_t(a.offset),
                              size_t(a.ld), buffer(b), size_t(b.offset), size_t(b.ld), beta,
                              buffer(c), size_t(c.offset), size_t(c.ld), queue()),
                "Gemm");
            return;
#else
            break;
#endif
    }
    no_blas(device);
}

void matmul_batched(Device device, int64_t count, int64_t m, int64_t n, int64_t k, float alpha,
                    MatrixArg a, int64_t stride_a, MatrixArg b, int64_t stride_b, float beta,
                    MatrixArg c, int64_t stride_c) {
    switch (device) {
        case Device::host:
            for (int64_t i = 0; i < count; i++) {
                cblas_sgemm(CblasRowMajor, cblas_op(a), cblas_op(b), int(m), int(n), int(k), alpha,
                            address(a) + i * stride_a, int(a.ld), address(b) + i * stride_b,
                            int(b.ld), beta, written(c) + i * stride_c, int(c.ld));
            }
            return;
        case Device::cuda:
#ifdef GOMHC_TRAINER_CUBLAS
            check_cublas(cublasSgemmStridedBatched(cublas(), cublas_op(b), cublas_op(a), int(n),
                                                   int(m), int(k), &alpha, address(b), int(b.ld),
                                                   stride_b, address(a), int(a.ld), stride_a, &beta,
                                                   written(c), int(c.ld), stride_c, int(count)),
                         "cublasSgemmStridedBatched");
            return;
#else
            break;
#endif
        case Device::opencl:
#ifdef GOMHC_TRAINER_CLBLAST
            check_clblast(
                clblast::GemmStridedBatched(
                    clblast::Layout::kRowMajor, clblast_op(a), clblast_op(b), size_t(m), size_t(n),
                    size_t(k), alpha, buffer(a), size_t(a.offset), size_t(a.ld), size_t(stride_a),
                    buffer(b), size_t(b.offset), size_t(b.ld), size_t(stride_b), beta, buffer(c),
                    size_t(c.offset), size_t(c.ld), size_t(stride_c), size_t(count), queue()),
                "GemmStridedBatched");
            return;
#else
            break;
#endif
    }
    no_blas(device);
}

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }
int blas_threads() { return openblas_get_num_threads(); }

}  // namespace gomhc::trainer
