/* gomhc C API: the go-mHC core kernels for C trainers.
 *
 * All tensors are float32, dense and row-major, in host memory or, after
 * gomhc_set_device(GOMHC_DEVICE_CUDA) on the calling thread (core ops) or for
 * a layer made with gomhc_layer_create_on(..., GOMHC_DEVICE_CUDA, ...), in
 * CUDA device memory (cudaMalloc, cuMemAlloc or gomhc_cuda_malloc). Shapes use
 * T = tokens, d = residual streams, s = block size, n = d*s, C = features per
 * stream, P = n(n-1)/2 skew parameters:
 *
 *   params [T][P]   strict upper triangle of U, row-major; A = U - U^T
 *   q      [T][n][n] Q = (I + A)^{-1} (I - A)
 *   h      [T][d][d] H[i][j] = (1/s) * sum of squares of block (i, j) of Q
 *   x      [T][d][C] the residual streams
 *   h_pre, h_post [T][d]; h_res [T][d][d]; y, f [T][C]
 *
 * Every function returns 0 on success. On failure it returns a nonzero code
 * (enum gomhc_status), writes nothing to its outputs, and gomhc_last_error()
 * describes the problem. Outputs are overwritten, never accumulated.
 * Misuse is refused, not undefined: a destroyed or never-made layer ("not a
 * live layer"; destroying twice does nothing), token counts no memory can
 * hold, and a call on a layer that is in a call on another thread (a layer
 * takes one call at a time) return GOMHC_INVALID_ARGUMENT.
 * Limits: tokens >= 1, d >= 1, s >= 1, c >= 1, n = d*s <= 64.
 */
#ifndef GOMHC_H
#define GOMHC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum gomhc_status {
    GOMHC_OK = 0,
    GOMHC_INVALID_ARGUMENT = 1, /* a size, pointer, device, method or call order the call
                                   cannot take; nothing ran */
    GOMHC_KERNEL_FAILED = 2,    /* a Halide kernel or a CUDA driver call failed */
    GOMHC_INTERNAL_ERROR = 3,   /* anything else (out of memory, ...) */
    GOMHC_UNSUPPORTED = 4,      /* this build or machine cannot do it (CUDA without a GPU,
                                   a build without CUDA kernels) */
};

/* Where the pointers of the calls below live. */
enum gomhc_device {
    GOMHC_DEVICE_HOST = 0,
    GOMHC_DEVICE_CUDA = 1,
    GOMHC_DEVICE_OPENCL = 2, /* pointers are cl_mem handles (each tensor its own buffer) */
};

/* The device of this thread's pointers to the core ops below (initially
 * GOMHC_DEVICE_HOST). Each thread has its own. */
int gomhc_set_device(int device);
int gomhc_device(void);

int gomhc_cayley_forward(int64_t tokens, int d, int s, const float *params, float *q);
int gomhc_cayley_backward(int64_t tokens, int d, int s, const float *q, const float *dq,
                          float *dparams);
int gomhc_orthostochastic_forward(int64_t tokens, int d, int s, const float *q, float *h);
int gomhc_orthostochastic_backward(int64_t tokens, int d, int s, const float *q, const float *dh,
                                   float *dq);
int gomhc_stream_read_forward(int64_t tokens, int d, int64_t c, const float *x, const float *h_pre,
                              float *y);
int gomhc_stream_read_backward(int64_t tokens, int d, int64_t c, const float *x, const float *h_pre,
                               const float *dy, float *dx, float *dh_pre);
int gomhc_stream_write_forward(int64_t tokens, int d, int64_t c, const float *x, const float *h_res,
                               const float *h_post, const float *f, float *x_next);
int gomhc_stream_write_backward(int64_t tokens, int d, int64_t c, const float *x,
                                const float *h_res, const float *h_post, const float *f,
                                const float *dx_next, float *dx, float *dh_res, float *dh_post,
                                float *df);

/* Every tensor op of the library by name, including those without a
 * function above (the sum of the streams, the trainer's LayerNorm, GELU,
 * embedding, causal softmax, cross-entropy, squared norm and add; C++:
 * gomhc/ops.hpp). An op takes `size_count` sizes and scalars, in the order
 * gomhc_op_sizes names them, and a pointer per tensor, in the order
 * gomhc_op_tensors lists them at those sizes, in this thread's device memory
 * (gomhc_set_device). Token ids are int32, every other tensor float32. */
int gomhc_op_count(void);
const char *gomhc_op_name(int index); /* NULL outside 0 <= index < gomhc_op_count */
/* The names of the op's sizes (valid for the life of the process), and the
 * forward op whose backward it is ("" for a forward). */
int gomhc_op_sizes(const char *op, const char **names, int capacity, int *count,
                   const char **forward_of);
typedef struct gomhc_op_tensor {
    const char *name; /* valid for the life of the process */
    int rank;
    int64_t shape[8];
    int output;        /* 1: written by the op */
    int adds;          /* 1: an output the op adds into */
    int64_t ids_below; /* > 0: int32 token ids below this; 0: float32 */
} gomhc_op_tensor;
int gomhc_op_tensors(const char *op, const double *sizes, int size_count, gomhc_op_tensor *out,
                     int capacity, int *count);
int gomhc_op_run(const char *op, const double *sizes, int size_count, void *const *tensors,
                 int tensor_count);
/* The op's example sizes (small, reaching its kernels' tails), one after the
 * other, each as many as gomhc_op_sizes names; *count is how many. */
int gomhc_op_examples(const char *op, double *sizes, int capacity, int *count);

/* The hyper-connection layer (see gomhc/gomhc.hpp, class HyperConnection, for
 * the mathematics). method is one of "residual", "hc", "mhc", "mhc-lite",
 * "kromhc", "go", "go-kron". Shapes: x, dx, x_next, dx_next [T][d][C];
 * y, dy, f, df [T][C].
 *
 * Parameters (and gradients, same order), K = 2d + K_res coefficients:
 *   W [K][d*C] row-major, then b [K], then a_pre, a_post, a_res.
 *   Coefficient k < d feeds H_pre, d <= k < 2d feeds H_post, the rest are the
 *   method's residual logits (K_res: hc, mhc d*d; mhc-lite d!; kromhc log2 d;
 *   go n(n-1)/2; go-kron the sum over its two factors). residual has none.
 *
 * Call order: pre, post, then optionally post_backward, pre_backward, with the
 * same tokens. pre/post keep pointers to x and f for the backward: keep them
 * alive and unchanged until then. post_backward overwrites dx and df;
 * pre_backward adds into dx and adds the parameters' gradients into
 * gomhc_layer_grads (gomhc_layer_zero_grads clears them). */
typedef struct gomhc_layer gomhc_layer;

int gomhc_layer_create(const char *method, int d, int s, int64_t c, uint64_t seed,
                       gomhc_layer **out);
/* The same on a device: a GOMHC_DEVICE_CUDA layer keeps its parameters,
 * gradients and workspaces in device memory (gomhc_layer_params and
 * gomhc_layer_grads return device pointers; gomhc_layer_bind takes them) and
 * every call takes device pointers and runs on the stream of
 * gomhc_set_cuda_stream. Without a usable GPU it fails with
 * GOMHC_UNSUPPORTED. */
int gomhc_layer_create_on(const char *method, int d, int s, int64_t c, uint64_t seed, int device,
                          gomhc_layer **out);
/* The same for the layer at `index` in the network (a transformer's attention
 * and MLP of block b are 2b and 2b + 1): its gates start favouring stream
 * index mod d, its home (the two functions above use index 0); symmetric = 1
 * starts every stream alike instead (H_pre = 1/d, H_post = 1). */
int gomhc_layer_create_at(const char *method, int d, int s, int64_t c, uint64_t seed, int device,
                          int64_t index, int symmetric, gomhc_layer **out);
int gomhc_layer_device(const gomhc_layer *layer); /* -1 for NULL */
void gomhc_layer_destroy(gomhc_layer *layer);
int64_t gomhc_layer_num_params(const gomhc_layer *layer);
float *gomhc_layer_params(gomhc_layer *layer);
float *gomhc_layer_grads(gomhc_layer *layer);
int gomhc_layer_zero_grads(gomhc_layer *layer);

/* Where parameter `index` (0 <= index < gomhc_layer_param_slice_count) lies in
 * the parameter block: "W" [K][d*C], "b" [K], "a_pre", "a_post", "a_res" [1],
 * in that order; the gradients have the same layout. */
typedef struct gomhc_param_slice {
    const char *name; /* valid while the layer lives */
    int64_t offset;   /* in floats from gomhc_layer_params */
    int rank;         /* 1 or 2 */
    int64_t shape[2];
} gomhc_param_slice;
int gomhc_layer_param_slice_count(const gomhc_layer *layer);
int gomhc_layer_param_slice(const gomhc_layer *layer, int index, gomhc_param_slice *out);

/* Keep the parameters and gradients in the caller's memory (num_params floats
 * each, e.g. slices of one flat block for the whole model). The current values
 * are copied there first; the caller keeps both alive while the layer is used. */
int gomhc_layer_bind(gomhc_layer *layer, float *params, float *grads);
int gomhc_layer_pre(gomhc_layer *layer, int64_t tokens, const float *x, float *y);
int gomhc_layer_post(gomhc_layer *layer, int64_t tokens, const float *x, const float *f,
                     float *x_next);
int gomhc_layer_post_backward(gomhc_layer *layer, int64_t tokens, const float *dx_next, float *dx,
                              float *df);
int gomhc_layer_pre_backward(gomhc_layer *layer, int64_t tokens, const float *dy, float *dx);

/* The threads of Halide's pool for the CPU kernels (0: Halide's default,
 * HL_NUM_THREADS or the cores online). Call between kernel calls. Outputs are
 * bitwise the same for any thread count. */
int gomhc_set_num_threads(int threads);
int gomhc_num_threads(void);

/* Scan every host input for NaN or infinity and fail naming the first one
 * (off by default; GOMHC_CHECK_FINITE=1 turns it on too). Safe to call from
 * any thread. */
void gomhc_set_check_finite(int enabled);

/* CUDA. gomhc_cuda_available returns 1 when a GPU can be used, else 0 with
 * the reason in gomhc_last_error(). gomhc_set_cuda_stream runs every CUDA
 * kernel from now on in the caller's CUcontext and on its CUstream (both as
 * void*; pass the context cudart uses, cuCtxGetCurrent after cudaSetDevice,
 * to share a cudart trainer's memory); NULL, NULL restores the default, the
 * device-0 primary context and its default stream. gomhc_cuda_synchronize
 * waits for the kernels queued on that stream. */
int gomhc_cuda_available(void);
int gomhc_set_cuda_stream(void *cu_context, void *cu_stream);
int gomhc_cuda_synchronize(void);
/* OpenCL. gomhc_opencl_available returns 1 when an OpenCL device can be
 * used, else 0 with the reason in gomhc_last_error(). The kernels run in one
 * context on one command queue: the caller's (gomhc_set_opencl_queue, both as
 * void*; NULL, NULL: gomhc's own), else one gomhc makes the way Halide does
 * (HL_OCL_PLATFORM_NAME, HL_OCL_DEVICE_TYPE, HL_GPU_DEVICE).
 * gomhc_opencl_synchronize waits for that queue. */
int gomhc_opencl_available(void);
int gomhc_set_opencl_queue(void *cl_context, void *cl_command_queue);
int gomhc_opencl_synchronize(void);

/* Device memory for callers without a CUDA runtime of their own: count floats
 * in the context above. Upload and download wait for the stream's kernels
 * first. gomhc_cuda_free(NULL) does nothing. */
int gomhc_cuda_malloc(size_t count, float **out);
int gomhc_cuda_free(float *device_data);
int gomhc_cuda_upload(float *device_data, const float *host_data, size_t count);
int gomhc_cuda_download(float *host_data, const float *device_data, size_t count);

/* The message of the last failed call on this thread ("" if none). */
const char *gomhc_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* GOMHC_H */
