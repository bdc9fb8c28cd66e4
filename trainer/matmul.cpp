// OpenBLAS, cuBLAS and CLBlast behind trainer/matmul.h.
#include "matmul.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <mutex>
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

// The host's products. By default OpenBLAS runs on one thread and each
// product is cut into slices of rows (a batch into its products) that run on
// gomhc's thread pool, the one the kernels use: with OpenBLAS's own pool
// beside it, its threads spun (sched_yield) while the kernels ran and took
// 16% of a step's CPU time (docs/benchmarks.md, "One thread pool").
// blas_threads > 0 gives OpenBLAS its own pool of that many threads again.
std::atomic<int> blas_threads_set{0};
std::once_flag openblas_single;

// Products below this many m n k run whole: OpenBLAS's own threading starts
// above 4 * 65536 too.
constexpr double kSliceWork = 4.0 * 65536.0;
// A multiple of OpenBLAS's register tile rows (4, 8 or 16 by CPU).
constexpr int64_t kSliceRows = 16;

void sgemm(int64_t m, int64_t n, int64_t k, float alpha, const MatrixArg &a, const float *a_at,
           const MatrixArg &b, const float *b_at, float beta, float *c_at, const MatrixArg &c) {
    cblas_sgemm(CblasRowMajor, cblas_op(a), cblas_op(b), int(m), int(n), int(k), alpha, a_at,
                int(a.ld), b_at, int(b.ld), beta, c_at, int(c.ld));
}

// The number of slices to cut host work into: 1 with OpenBLAS's own pool.
int host_slices() {
    if (blas_threads_set.load() > 0) {
        return 1;
    }
    std::call_once(openblas_single, [] { openblas_set_num_threads(1); });
    return num_threads();
}

void host_matmul(int64_t m, int64_t n, int64_t k, float alpha, const MatrixArg &a,
                 const MatrixArg &b, float beta, const MatrixArg &c) {
    const int slices = host_slices();
    if (slices <= 1 || double(m) * double(n) * double(k) <= kSliceWork || m < 2 * kSliceRows) {
        sgemm(m, n, k, alpha, a, address(a), b, address(b), beta, written(c), c);
        return;
    }
    // Slices start at multiples of kSliceRows, so every row meets the same
    // OpenBLAS micro-kernel as in one whole call and the result is bitwise
    // the same for any thread count.
    const int64_t rows = ((m + slices - 1) / slices + kSliceRows - 1) / kSliceRows * kSliceRows;
    parallel_for(slices, [&](int64_t slice) {
        const int64_t first = slice * rows, count = std::min(rows, m - first);
        if (count > 0) {  // row `first` of op(A): a row of A, or a column of A^T
            const float *a_rows = address(a) + (a.transposed ? first : first * a.ld);
            sgemm(count, n, k, alpha, a, a_rows, b, address(b), beta, written(c) + first * c.ld, c);
        }
    });
}

void host_matmul_batched(int64_t count, int64_t m, int64_t n, int64_t k, float alpha,
                         const MatrixArg &a, int64_t stride_a, const MatrixArg &b, int64_t stride_b,
                         float beta, const MatrixArg &c, int64_t stride_c) {
    const auto product = [&](int64_t i) {
        sgemm(m, n, k, alpha, a, address(a) + i * stride_a, b, address(b) + i * stride_b, beta,
              written(c) + i * stride_c, c);
    };
    if (host_slices() > 1 && count > 1) {
        parallel_for(count, product);
    } else {
        for (int64_t i = 0; i < count; i++) {
            product(i);
        }
    }
}

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
            host_matmul(m, n, k, alpha, a, b, beta, c);
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
            host_matmul_batched(count, m, n, k, alpha, a, stride_a, b, stride_b, beta, c, stride_c);
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

void set_blas_threads(int threads) {
    if (threads < 0) {
        throw InvalidArgument("gomhc train: BLAS threads = " + std::to_string(threads) +
                              ", expected 0 (gomhc's pool) or at least 1");
    }
    blas_threads_set.store(threads);
    openblas_set_num_threads(threads > 0 ? threads : 1);
}

}  // namespace gomhc::trainer
