// gomhc C++ API: the go-mHC core kernels over host or CUDA tensors.
//
// Shapes are written row-major, outermost first, exactly as in gomhc.h:
//   params [T][n(n-1)/2], q [T][n][n], h [T][d][d], x [T][d][C],
//   h_pre / h_post [T][d], h_res [T][d][d], y / f [T][C], with n = d*s.
// Every call checks every shape and device and throws gomhc::Error with a
// message naming the argument and the shape it expected. Outputs are
// overwritten, never accumulated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gomhc/limits.hpp"

struct halide_buffer_t;
struct halide_dimension_t;

namespace gomhc {

// Every failure is a gomhc::Error. Two kinds say more, and the C API maps
// them to their own status codes:
//   InvalidArgument  a shape, size, pointer, device, method or call order the
//                    call cannot take (GOMHC_INVALID_ARGUMENT); nothing ran;
//   KernelError      a Halide kernel or a CUDA driver call failed
//                    (GOMHC_KERNEL_FAILED);
// a plain Error is something this build or machine cannot do, such as CUDA
// without a GPU or a kernel variant the build did not generate
// (GOMHC_UNSUPPORTED).
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
class InvalidArgument : public Error {
public:
    using Error::Error;
};
class KernelError : public Error {
public:
    using Error::Error;
};

enum class Device { host, cuda, opencl };

// The extents of a tensor, outermost first, up to kMaxRank of them, kept
// inline so that making a view allocates nothing. Converts from and to
// std::vector<int64_t>.
class Shape {
public:
    static constexpr size_t kMaxRank = 8;

    Shape() = default;
    // Throw InvalidArgument for more than kMaxRank extents.
    Shape(std::initializer_list<int64_t> extents) { assign(extents.begin(), extents.size()); }
    Shape(const std::vector<int64_t> &extents) { assign(extents.data(), extents.size()); }

    size_t size() const { return rank_; }
    bool empty() const { return rank_ == 0; }
    int64_t operator[](size_t i) const { return extents_[i]; }
    const int64_t *begin() const { return extents_; }
    const int64_t *end() const { return extents_ + rank_; }
    operator std::vector<int64_t>() const { return {begin(), end()}; }

    friend bool operator==(const Shape &a, const Shape &b) {
        if (a.rank_ != b.rank_) {
            return false;
        }
        for (size_t i = 0; i < a.rank_; i++) {
            if (a.extents_[i] != b.extents_[i]) {
                return false;
            }
        }
        return true;
    }
    friend bool operator!=(const Shape &a, const Shape &b) { return !(a == b); }

private:
    void assign(const int64_t *extents, size_t rank);

    int64_t extents_[kMaxRank] = {};
    size_t rank_ = 0;
};

// A non-owning view of a dense row-major float32 tensor: in host memory, in
// CUDA device memory (a pointer from cudaMalloc / cuMemAlloc), or in an
// OpenCL buffer (a cl_mem, from `offset` floats on). It wraps a
// halide_buffer_t so it can be handed to the kernels without a copy.
class TensorView {
public:
    static TensorView host(float *data, const Shape &shape);
    static TensorView host(const float *data, const Shape &shape);
    static TensorView cuda(float *device_data, const Shape &shape);
    static TensorView cuda(const float *device_data, const Shape &shape);
    static TensorView opencl(void *cl_mem, const Shape &shape, int64_t offset = 0);

    Device device() const { return device_; }
    const Shape &shape() const { return shape_; }
    int64_t size() const;
    // The address (host, CUDA), or the cl_mem handle (OpenCL): not an
    // address, the view starts offset() floats into it.
    const float *data() const { return data_; }
    int64_t offset() const { return offset_; }
    std::string shape_string() const;
    // The same memory with another shape of the same size.
    TensorView reshaped(const Shape &shape) const;

    // This view as a halide_buffer_t, for calling Halide pipelines directly
    // (valid while the view lives; tensors of fewer than 2^31 elements).
    // The gomhc kernels do not need it: they slice views by tokens.
    halide_buffer_t *raw() const;

private:
    TensorView(float *data, const Shape &shape, Device device, int64_t offset = 0);

    float *data_ = nullptr;
    Shape shape_;
    Device device_ = Device::host;
    int64_t offset_ = 0;
    mutable std::shared_ptr<struct HalideBufferSlice> raw_;
};

// A non-owning view of dense row-major int32 token ids, in host, CUDA or
// OpenCL memory: the inputs and targets of the trainer's embedding and loss.
class TokenView {
public:
    static TokenView host(const int32_t *data, const Shape &shape);
    static TokenView cuda(const int32_t *device_data, const Shape &shape);
    static TokenView opencl(const void *cl_mem, const Shape &shape, int64_t offset = 0);

    Device device() const { return device_; }
    const Shape &shape() const { return shape_; }
    int64_t size() const;
    const int32_t *data() const { return data_; }
    int64_t offset() const { return offset_; }  // in ids, for OpenCL
    std::string shape_string() const;

private:
    TokenView(const int32_t *data, const Shape &shape, Device device, int64_t offset = 0);

    const int32_t *data_ = nullptr;
    Shape shape_;
    Device device_ = Device::host;
    int64_t offset_ = 0;
};

// "host", "CUDA" or "OpenCL": how messages name a device.
const char *device_name(Device device);

// Which compiled variant serves (d, s): "specialised" when the build generated
// kernels for that exact pair, otherwise "generic" (any d, s with n <= 64).
std::string kernel_variant(int d, int s);
// The (d, s) pairs the build specialised the Cayley/projection kernels for.
std::vector<std::pair<int, int>> specialised_shapes();

// Forward and backward of the skew-to-orthogonal Cayley map.
void cayley_forward(int d, int s, const TensorView &params, const TensorView &q);
void cayley_backward(int d, int s, const TensorView &q, const TensorView &dq,
                     const TensorView &dparams);

// Forward and backward of the block Hadamard-square projection.
void orthostochastic_forward(int d, int s, const TensorView &q, const TensorView &h);
void orthostochastic_backward(int d, int s, const TensorView &q, const TensorView &dh,
                              const TensorView &dq);

// Stream mixing, read side: y = sum_j h_pre[j] x[j].
void stream_read_forward(const TensorView &x, const TensorView &h_pre, const TensorView &y);
void stream_read_backward(const TensorView &x, const TensorView &h_pre, const TensorView &dy,
                          const TensorView &dx, const TensorView &dh_pre);

// The sum of the streams, y [T][C] = scale * sum_j x[j] (x [T][d][C]): the
// read with every weight `scale`, as a model's output head reduces its
// streams (1: summed; 1/d: averaged). The backward overwrites dx [T][d][C]
// with scale * dy in every stream.
void stream_sum_forward(const TensorView &x, const TensorView &y, float scale = 1.0f);
void stream_sum_backward(const TensorView &dy, const TensorView &dx, float scale = 1.0f);

// The stream embedding: out [T][d][C] = x + wse (wse [d][C], one learned row
// per stream, added to every token; out may be x's memory), and its backward,
// which adds the sum over the tokens of dout [T][d][C] into dwse [d][C].
void stream_embed_forward(const TensorView &x, const TensorView &wse, const TensorView &out);
void stream_embed_backward(const TensorView &dout, const TensorView &dwse);

// Stream mixing, write side: x_next[i] = sum_j h_res[i][j] x[j] + h_post[i] f.
void stream_write_forward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                          const TensorView &f, const TensorView &x_next);
void stream_write_backward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                           const TensorView &f, const TensorView &dx_next, const TensorView &dx,
                           const TensorView &dh_res, const TensorView &dh_post,
                           const TensorView &df);

// ---------------------------------------------------------------------------
// The GPT trainer's ops (docs/math.md section 5).

// LayerNorm over each token's C features (eps = 1e-5): x, y [T][C],
// gamma, beta [C]; writes y and the per-token mean and rstd [T] that the
// backward needs.
void layernorm_forward(const TensorView &x, const TensorView &gamma, const TensorView &beta,
                       const TensorView &y, const TensorView &mean, const TensorView &rstd);
// Overwrites dx [T][C], dgamma and dbeta [C] (summed over the T tokens) from
// dy [T][C] and the forward's x, gamma, mean and rstd. T*C must be below 2^31
// (the gradients sum over every token in one call).
void layernorm_backward(const TensorView &dy, const TensorView &x, const TensorView &gamma,
                        const TensorView &mean, const TensorView &rstd, const TensorView &dx,
                        const TensorView &dgamma, const TensorView &dbeta);

// GELU, tanh form, elementwise over tensors of any shape: y = gelu(x), and
// dx = gelu'(x) dy (overwritten). All tensors have x's shape.
void gelu_forward(const TensorView &x, const TensorView &y);
void gelu_backward(const TensorView &x, const TensorView &dy, const TensorView &dx);

// Token plus position embedding into d residual streams: tokens [B][T] with
// ids below V, wte [V][C], wpe [P][C] with P >= T; out [B][T][d][C] holds
// wte[id] + wpe[position] in every stream. Host token ids at or above V
// throw gomhc::InvalidArgument naming the position; CUDA ids are clamped
// into range (validate them before uploading).
void embedding_forward(const TokenView &tokens, const TensorView &wte, const TensorView &wpe,
                       const TensorView &out);
// Adds the gradients of wte [V][C] and wpe [P][C] from dout [B][T][d][C]
// (summed over the streams) into dwte and dwpe. Tokens with the same id add
// up in token order, so the result is the same on any number of threads.
void embedding_backward(const TokenView &tokens, const TensorView &dout, const TensorView &dwte,
                        const TensorView &dwpe);

// The softmax of causal attention over scores [H][T][T] (one T x T matrix
// per sequence and head, query rows, key columns): probs[q][k] is the
// softmax over k <= q of scale * scores[q][k], and 0 for k > q. The backward
// overwrites dscores [H][T][T] (= scale * dL/d(scaled scores)).
void causal_softmax_forward(float scale, const TensorView &scores, const TensorView &probs);
void causal_softmax_backward(float scale, const TensorView &probs, const TensorView &dprobs,
                             const TensorView &dscores);

// Softmax cross-entropy over logits [T][Vp] of which the first `vocab`
// entries are the vocabulary (Vp - vocab padding entries are ignored), with
// targets [T] below vocab: loss[t] = lse[t] - logits[t][target], lse [T].
void cross_entropy_forward(int64_t vocab, const TensorView &logits, const TokenView &targets,
                           const TensorView &loss, const TensorView &lse);
// dlogits [T][Vp] = scale * (softmax - onehot(target)), 0 in the padding,
// with scale = dL/dloss[t] (1/T for the mean loss). dlogits may be the
// logits' own memory.
void cross_entropy_backward(int64_t vocab, float scale, const TensorView &logits,
                            const TokenView &targets, const TensorView &lse,
                            const TensorView &dlogits);

// out [1] = sum of x's squared entries (x of any shape, below 2^31 entries),
// summed in a fixed order: the same on any number of threads.
void squared_norm(const TensorView &x, const TensorView &out);

// Elementwise helpers for device memory: out = a + b (any one shape, out may
// be a or b), and x = value.
void add(const TensorView &a, const TensorView &b, const TensorView &out);
void fill(const TensorView &x, float value);

// AdamW over one flat parameter block, with its moments. Weight decay applies
// to the ranges given as decayed (the matrices), not to the rest. Each step
// clips the gradient by its global norm first (scaling it by
// max_norm / |grad| when that is below 1; max_norm = 0 turns clipping off),
// with |grad|^2 given as a one-element tensor from squared_norm, so a CUDA
// step never reads it on the host.
struct AdamwSettings {
    float lr = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.95f;
    float eps = 1e-8f;
    float weight_decay = 0.0f;
    float max_norm = 0.0f;
};

class Adamw {
public:
    // `decayed`: (offset, count) ranges of the block, in floats.
    Adamw(int64_t num_params, const std::vector<std::pair<int64_t, int64_t>> &decayed,
          Device device = Device::host);
    ~Adamw();
    Adamw(Adamw &&) noexcept;
    Adamw &operator=(Adamw &&) noexcept;

    int64_t num_params() const;
    Device device() const;
    int64_t steps() const;  // updates done so far (bias corrections count from it)
    // Updates params (num_params floats) in place from grads and the
    // gradient's squared norm [1], all in the optimizer's device memory.
    void step(const TensorView &params, const TensorView &grads,
              const TensorView &grad_squared_norm, const AdamwSettings &settings);
    // The first and second moments, num_params floats each in the device's
    // memory, for checkpoints: read them, or write them and set the step
    // count to continue a run.
    float *first_moment();
    float *second_moment();
    // The same as views, on any device (for OpenCL, where a float* cannot
    // point into a cl_mem).
    TensorView first_moment_view() const;
    TensorView second_moment_view() const;
    void set_steps(int64_t steps);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// ---------------------------------------------------------------------------
// Residual mixers: the ways of turning per-token logits into H_res [d][d].
//
//   residual  d = 1 only: X_next = X + F(X); no logits, no parameters.
//   hc        K = d*d logits; H_res = the logits as a d x d matrix.
//   mhc       K = d*d; Sinkhorn-Knopp of exp(logits) in the log domain:
//             g = 0; 20 times: f_i = -LSE_j(L_ij + g_j), g_j = -LSE_i(L_ij + f_i);
//             H_res = exp(L_ij + f_i + g_j) (columns sum to 1 exactly, rows nearly).
//   mhc-lite  K = d!; w = softmax(logits) over the permutations of 0..d-1 in
//             lexicographic order; H_res[i][perm_k[i]] += w_k. d <= 8.
//   kromhc    d = 2^m, K = m; t_l = sigmoid(logit_l), B_l = [[t_l, 1-t_l], [1-t_l, t_l]];
//             H_res = B_0 (x) B_1 (x) ... (x) B_{m-1}, B_0 on the most significant bit.
//   go        K = n(n-1)/2, n = d*s; Cayley map then block Hadamard-square projection.
//   go-kron   d = d1*d2 with d1 the largest divisor of d with 2 <= d1 <= sqrt(d) (d must
//             be composite); H_res = H1 (x) H2, each a go mixer of size d1 (d2) with block
//             size s. K = n1(n1-1)/2 + n2(n2-1)/2, factor 1's logits first.
enum class Method { residual, hc, mhc, mhc_lite, kromhc, go, go_kron };

// "residual", "hc", "mhc", "mhc-lite", "kromhc", "go", "go-kron".
std::string method_name(Method method);
// Throws gomhc::Error listing the valid names for an unknown one.
Method parse_method(const std::string &name);
std::vector<Method> all_methods();
// Throws gomhc::Error naming the problem if the method cannot take (d, s):
// residual with d != 1, mhc-lite with d > 8, kromhc with d not a power of 2,
// go-kron with a prime d, s < 1, n > kMaxN. Methods other than go and go-kron
// ignore s (it must still be >= 1).
void check_method_shape(Method method, int d, int s);
// Residual logits per token, K in the table above.
int64_t residual_logit_count(Method method, int d, int s);
// The documented starting point of the residual logits (near, not at, the
// identity mixer so H_res can learn): hc I + N(0, 0.01^2); mhc 0 on the diagonal
// and -4 off it, + N(0, 0.01^2); mhc-lite log-weights giving the identity
// permutation weight 0.95, + N(0, 0.01^2); kromhc logit(0.95) + N(0, 0.01^2); go and
// go-kron N(0, 0.1^2). Deterministic for a seed.
std::vector<float> initial_residual_logits(Method method, int d, int s, uint64_t seed);

// One method's mixer over a batch of tokens: logits [T][K] -> h_res [T][d][d],
// and back. It owns the workspace the backward needs (Q for go, the factors
// for go-kron), in the memory of the tensors it is given.
class Mixer {
public:
    Mixer(Method method, int d, int s);
    ~Mixer();
    Mixer(Mixer &&) noexcept;
    Mixer &operator=(Mixer &&) noexcept;

    Method method() const;
    int d() const;
    int s() const;
    int64_t logit_count() const;  // K

    // h_res [T][d][d] from logits [T][K]; remembers what backward needs.
    void forward(const TensorView &logits, const TensorView &h_res);
    // dlogits [T][K] (overwritten) from dh_res [T][d][d], for the last forward's
    // logits (same T and device, else gomhc::Error).
    void backward(const TensorView &dh_res, const TensorView &dlogits);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// ---------------------------------------------------------------------------
// The hyper-connection layer (docs/math.md section 1) around a sub-layer F:
//   pre:  X [T][d][C] -> y [T][C] = sum_j H_pre[j] X[j], the input of F
//   post: X, f = F(y) [T][C] -> X_next [T][d][C] = H_res X + H_post^T f
// with per-token coefficients from x' = RMSNorm(vec(X)) (eps = 1e-6, no gain):
//   z = x' W^T (W [K][d*C], K = 2d + residual_logit_count)
//   H_pre  = sigmoid(a_pre * z[0:d] + b[0:d])
//   H_post = 2 sigmoid(a_post * z[d:2d] + b[d:2d])
//   logits = a_res * z[2d:K] + b[2d:K]   -> the method's mixer -> H_res
// Parameters, one flat float array: W [K][d*C] row-major, then b [K], then
// (a_pre, a_post, a_res); gradients in the same order. The residual method has
// no parameters: y = X, X_next = X + f.
// Initialisation (seeded): W ~ N(0, 1/(d*C)), a = 0.01, b_res =
// initial_residual_logits, and the gates from the layer's home stream
// (LayerStart below, docs/math.md section 3.1): H_pre and H_post favour
// stream `index mod d`, so the streams of a network whose layers have
// different homes start to differ. The symmetric start gives every stream the
// same gates: b_pre = logit(min(1/d, 1/2)) (H_pre = 1/d), b_post = 0
// (H_post = 1).
//
// Calls go pre, post, post_backward, pre_backward; forward-only use repeats
// pre, post. Each backward uses the activations of the last pre/post, which
// keep views of x and f (not copies): keep them alive and unchanged until the
// backward calls. A call out of order or with another T throws gomhc::Error.
// post_backward overwrites dx and df and keeps the coefficients' gradients
// for pre_backward, which adds into dx and adds every parameter's gradient
// into grads() (zero_grads() clears them; gradients of several steps add up).
// Where a layer's gates start.
struct LayerStart {
    // The layer's index in the network (a transformer's attention and MLP of
    // block b are 2b and 2b + 1): its home stream is index mod d.
    int64_t index = 0;
    // Every stream alike instead (the ablation).
    bool symmetric = false;
};

class HyperConnection {
public:
    HyperConnection(Method method, int d, int s, int64_t c, uint64_t seed,
                    Device device = Device::host, LayerStart start = {});
    ~HyperConnection();
    HyperConnection(HyperConnection &&) noexcept;
    HyperConnection &operator=(HyperConnection &&) noexcept;

    Method method() const;
    int d() const;
    int s() const;
    int64_t c() const;
    Device device() const;
    int64_t coefficient_count() const;  // K = 2d + residual logits (0 for residual)
    // The stream its gates favour at the start, -1 for the symmetric start.
    int home_stream() const;

    int64_t num_params() const;
    float *params();  // host or CUDA memory, as device()
    float *grads();
    void zero_grads();

    // Where each parameter lies in params() (and its gradient in grads()):
    //   "W" [K][d*C] at 0, "b" [K] at K*d*C, then "a_pre", "a_post", "a_res",
    //   one float each. The residual method has none.
    struct ParamSlice {
        std::string name;
        int64_t offset;  // in floats from params()
        std::vector<int64_t> shape;
    };
    std::vector<ParamSlice> param_layout() const;

    // Keep the parameters and gradients in the caller's memory from now on:
    // num_params() floats at each pointer, in the layer's device memory,
    // e.g. slices of one flat block per model that one optimizer pass
    // updates. The current values are copied there first (a new layer's are
    // its seeded initialisation), then the layer's own copies are freed. The
    // caller keeps both alive while the layer is used and may rebind. A layer
    // without parameters accepts null pointers.
    void bind(float *params, float *grads);
    // The same with views (needed for OpenCL memory, where a slice of a
    // block is a cl_mem and an offset): num_params() floats each.
    void bind(const TensorView &params, const TensorView &grads);
    // params() and grads() as views, on any device.
    TensorView params_view() const;
    TensorView grads_view() const;
    // Whether params() and grads() are the caller's memory.
    bool bound() const;

    void pre(const TensorView &x, const TensorView &y);
    void post(const TensorView &x, const TensorView &f, const TensorView &x_next);
    void post_backward(const TensorView &dx_next, const TensorView &dx, const TensorView &df);
    void pre_backward(const TensorView &dy, const TensorView &dx);

    // The coefficients of the last pre/post, [T][d], [T][d], [T][d][d], in
    // the layer's memory (host or CUDA); valid until the next pre.
    TensorView h_pre() const;
    TensorView h_post() const;
    TensorView h_res() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Debug aid: when enabled, every call scans its host inputs and throws
// naming the argument and index of the first NaN or infinity. Off by default
// (it reads every input once more); GOMHC_CHECK_FINITE=1 turns it on too.
// Safe to call from any thread, also while kernels run (calls already past
// their checks are not affected).
void set_check_finite(bool enabled);

// The threads of Halide's pool, which runs every CPU kernel. A trainer that
// also runs BLAS threads sets both so that together they fit the cores.
// 0 restores Halide's default (HL_NUM_THREADS, else the cores online). Call it
// between kernel calls, not during one. Results do not depend on it: every
// kernel gives bitwise the same outputs for any thread count.
void set_num_threads(int threads);
// The thread count the CPU kernels use now.
int num_threads();
// Runs body(i) for every i in [0, count) on that pool, the calling thread
// taking part, and returns when all are done: a caller's own parallel work
// (a trainer's single-threaded BLAS calls, one slice each) runs on the
// kernels' threads instead of a second pool that spins beside them. The
// first exception a body throws is rethrown here (bodies not yet started
// are skipped). Not from inside a body.
void parallel_for(int64_t count, const std::function<void(int64_t)> &body);

// CUDA. The library loads the CUDA driver lazily; cuda_available() says
// whether a GPU can be used and cuda_unavailable_reason() says why not.
bool cuda_available();
std::string cuda_unavailable_reason();
// Run the CUDA kernels in this CUcontext on this CUstream (both as void* so
// the header needs no CUDA include). A null context means the device-0
// primary context, the one cudart uses, so a cudart trainer passes null and
// its cudaStream_t; a null stream is the context's default stream. Pass
// another context (cuCtxGetCurrent) to share memory allocated in it.
void set_cuda_context(void *cu_context, void *cu_stream);
// Block until the kernels queued on the current stream are done.
void cuda_synchronize();

// OpenCL. The kernels, and gomhc's own copies, run in one OpenCL context on
// one command queue: the caller's (set_opencl_queue, both as void* so the
// header needs no OpenCL include), else one gomhc makes on first use the way
// Halide does: the platform whose name contains HL_OCL_PLATFORM_NAME, a
// device of type HL_OCL_DEVICE_TYPE (cpu, gpu, acc; any if unset), number
// HL_GPU_DEVICE (the first if unset). opencl_context and opencl_queue return
// the ones in use, so a BLAS such as CLBlast can share them.
bool opencl_available();
std::string opencl_unavailable_reason();  // "" when available
std::string opencl_device();              // "platform: device" of the queue gomhc made
void set_opencl_queue(void *cl_context, void *cl_command_queue);
void *opencl_context();
void *opencl_queue();
void opencl_synchronize();

// Device memory for callers without a GPU runtime of their own (the tests,
// the benchmarks, a small trainer): `count` floats on a device (host memory
// for Device::host), zero at first, freed with it. Upload and download wait
// for the queued kernels; fill and copies are queued.
class DeviceMemory {
public:
    DeviceMemory() = default;
    DeviceMemory(Device device, size_t count);
    ~DeviceMemory();
    DeviceMemory(DeviceMemory &&other) noexcept;
    DeviceMemory &operator=(DeviceMemory &&other) noexcept;
    DeviceMemory(const DeviceMemory &) = delete;
    DeviceMemory &operator=(const DeviceMemory &) = delete;

    Device device() const { return device_; }
    size_t size() const { return count_; }
    // A view of product(shape) floats from `offset` on (token ids: the same
    // 4-byte slots as int32).
    TensorView view(const Shape &shape, int64_t offset = 0) const;
    TokenView ids(const Shape &shape, int64_t offset = 0) const;
    void upload(const float *host, size_t count, size_t offset = 0);
    void upload_ids(const int32_t *host, size_t count, size_t offset = 0);
    void download(float *host, size_t count, size_t offset = 0) const;
    void fill(float value);

private:
    Device device_ = Device::host;
    size_t count_ = 0;
    float *data_ = nullptr;  // host or CUDA address, or cl_mem
};

// Copies a view's floats to host memory, and host floats into a view, on any
// device; both wait for the device's queued kernels first.
void download(const TensorView &view, float *host);
void upload(const float *host, const TensorView &view);

// Device memory for callers without a CUDA runtime of their own (the tests,
// the benchmarks, a small trainer): `count` floats in the context the kernels
// use. cuda_upload and cuda_download wait for the current stream's kernels
// first, then copy; cuda_copy (device to device) is queued on the stream.
// Each throws gomhc::Error when CUDA cannot be used.
float *cuda_malloc(size_t count);
void cuda_free(float *device_data);  // null is a no-op
void cuda_upload(float *device_data, const float *host_data, size_t count);
void cuda_download(float *host_data, const float *device_data, size_t count);
void cuda_copy(float *dst, const float *src, size_t count);

}  // namespace gomhc
