// gomhc C++ API: the go-mHC core kernels over host or CUDA tensors.
//
// Shapes are written row-major, outermost first, exactly as in gomhc.h:
//   params [T][n(n-1)/2], q [T][n][n], h [T][d][d], x [T][d][C],
//   h_pre / h_post [T][d], h_res [T][d][d], y / f [T][C], with n = d*s.
// Every call checks every shape and device and throws gomhc::Error with a
// message naming the argument and the shape it expected. Outputs are
// overwritten, never accumulated.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct halide_buffer_t;
struct halide_dimension_t;

namespace gomhc {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Device { host, cuda };

// The largest n = d*s (and the largest d) the kernels accept.
constexpr int kMaxN = 64;

// A non-owning view of a dense row-major float32 tensor, in host memory or in
// CUDA device memory (a pointer from cudaMalloc / cuMemAlloc). It wraps a
// halide_buffer_t so it can be handed to the kernels without a copy.
class TensorView {
public:
    static TensorView host(float *data, std::vector<int64_t> shape);
    static TensorView host(const float *data, std::vector<int64_t> shape);
    static TensorView cuda(float *device_data, std::vector<int64_t> shape);
    static TensorView cuda(const float *device_data, std::vector<int64_t> shape);

    Device device() const { return device_; }
    const std::vector<int64_t> &shape() const { return shape_; }
    int64_t size() const;
    const float *data() const { return data_; }
    std::string shape_string() const;

    // This view as a halide_buffer_t, for calling Halide pipelines directly
    // (valid while the view lives; tensors of fewer than 2^31 elements).
    // The gomhc kernels do not need it: they slice views by tokens.
    halide_buffer_t *raw() const;

private:
    TensorView(float *data, std::vector<int64_t> shape, Device device);

    float *data_ = nullptr;
    std::vector<int64_t> shape_;
    Device device_ = Device::host;
    mutable std::shared_ptr<struct HalideBufferSlice> raw_;
};

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

// Stream mixing, write side: x_next[i] = sum_j h_res[i][j] x[j] + h_post[i] f.
void stream_write_forward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                          const TensorView &f, const TensorView &x_next);
void stream_write_backward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                           const TensorView &f, const TensorView &dx_next, const TensorView &dx,
                           const TensorView &dh_res, const TensorView &dh_post,
                           const TensorView &df);

// Debug aid: when enabled, every call scans its host inputs and throws
// naming the argument and index of the first NaN or infinity. Off by default
// (it reads every input once more); GOMHC_CHECK_FINITE=1 turns it on too.
void set_check_finite(bool enabled);

// CUDA. The library loads the CUDA driver lazily; cuda_available() says
// whether a GPU can be used and cuda_unavailable_reason() says why not.
bool cuda_available();
std::string cuda_unavailable_reason();
// Run the CUDA kernels in this CUcontext on this CUstream (both as void* so
// the header needs no CUDA include). Pass the context cudart uses
// (cuCtxGetCurrent after cudaSetDevice) to share memory with a cudart
// trainer. Null context restores the default: the device-0 primary context,
// which is the one cudart uses too.
void set_cuda_context(void *cu_context, void *cu_stream);
// Block until the kernels queued on the current stream are done.
void cuda_synchronize();

}  // namespace gomhc
