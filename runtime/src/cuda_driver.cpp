// CUDA support: driver loading, the context/stream hooks Halide's CUDA
// runtime calls, and device-memory wrapping.
//
// Halide's default hooks create a private CUDA context. Memory a trainer
// allocated with cudart lives in the device's primary context instead, so the
// hooks here hand Halide the primary context (or the one the caller set) and
// the caller's stream.
#include "cuda_driver.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "gomhc/gomhc.hpp"

#ifdef GOMHC_HAVE_CUDA
#include "HalideRuntimeCuda.h"
#endif

namespace gomhc {
namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUstream = void *;

// The driver's CUDA_MEMCPY2D, spelled out so no CUDA header is needed.
struct Memcpy2D {
    size_t src_x_bytes, src_y;
    int src_memory_type;
    const void *src_host;
    unsigned long long src_device;
    void *src_array;
    size_t src_pitch;
    size_t dst_x_bytes, dst_y;
    int dst_memory_type;
    void *dst_host;
    unsigned long long dst_device;
    void *dst_array;
    size_t dst_pitch;
    size_t width_bytes, height;
};
constexpr int kMemoryTypeDevice = 2;  // CU_MEMORYTYPE_DEVICE

struct Driver {
    CUresult (*cuInit)(unsigned) = nullptr;
    CUresult (*cuDeviceGetCount)(int *) = nullptr;
    CUresult (*cuDeviceGet)(CUdevice *, int) = nullptr;
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
    CUresult (*cuCtxPushCurrent)(CUcontext) = nullptr;
    CUresult (*cuCtxPopCurrent)(CUcontext *) = nullptr;
    CUresult (*cuCtxSynchronize)() = nullptr;
    CUresult (*cuStreamSynchronize)(CUstream) = nullptr;
    CUresult (*cuMemsetD32Async)(unsigned long long, unsigned, size_t, CUstream) = nullptr;
    CUresult (*cuMemAlloc)(unsigned long long *, size_t) = nullptr;
    CUresult (*cuMemFree)(unsigned long long) = nullptr;
    CUresult (*cuMemcpyHtoD)(unsigned long long, const void *, size_t) = nullptr;
    CUresult (*cuMemcpyDtoH)(void *, unsigned long long, size_t) = nullptr;
    CUresult (*cuMemcpy2DAsync)(const struct Memcpy2D *, CUstream) = nullptr;
    std::string unavailable;  // empty when the driver and a device are usable
    CUcontext primary = nullptr;
};

struct Binding {
    std::mutex mutex;
    CUcontext context = nullptr;  // set by set_cuda_context; null = primary
    CUstream stream = nullptr;
};

Binding &binding() {
    static Binding b;
    return b;
}

template<typename Fn>
bool load(void *library, const char *name, Fn &fn) {
    fn = reinterpret_cast<Fn>(dlsym(library, name));
    return fn != nullptr;
}

const Driver &driver() {
    static Driver d = [] {
        Driver d;
        void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            d.unavailable = std::string("the CUDA driver libcuda.so.1 could not be loaded (") +
                            dlerror() + "): this machine has no usable NVIDIA GPU";
            return d;
        }
        bool ok = load(library, "cuInit", d.cuInit) &&
                  load(library, "cuDeviceGetCount", d.cuDeviceGetCount) &&
                  load(library, "cuDeviceGet", d.cuDeviceGet) &&
                  load(library, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain) &&
                  load(library, "cuCtxPushCurrent_v2", d.cuCtxPushCurrent) &&
                  load(library, "cuCtxPopCurrent_v2", d.cuCtxPopCurrent) &&
                  load(library, "cuCtxSynchronize", d.cuCtxSynchronize) &&
                  load(library, "cuStreamSynchronize", d.cuStreamSynchronize) &&
                  load(library, "cuMemsetD32Async", d.cuMemsetD32Async) &&
                  load(library, "cuMemAlloc_v2", d.cuMemAlloc) &&
                  load(library, "cuMemFree_v2", d.cuMemFree) &&
                  load(library, "cuMemcpyHtoD_v2", d.cuMemcpyHtoD) &&
                  load(library, "cuMemcpyDtoH_v2", d.cuMemcpyDtoH) &&
                  load(library, "cuMemcpy2DAsync_v2", d.cuMemcpy2DAsync);
        if (!ok) {
            d.unavailable = "the CUDA driver libcuda.so.1 lacks a needed entry point";
            return d;
        }
        if (CUresult r = d.cuInit(0); r != 0) {
            d.unavailable = "cuInit failed with CUDA error " + std::to_string(r) +
                            " (no GPU, or the driver is not usable)";
            return d;
        }
        int count = 0;
        if (d.cuDeviceGetCount(&count) != 0 || count == 0) {
            d.unavailable = "the CUDA driver found no GPU";
            return d;
        }
        CUdevice device = 0;
        if (d.cuDeviceGet(&device, 0) != 0 || d.cuDevicePrimaryCtxRetain(&d.primary, device) != 0) {
            d.unavailable = "could not retain the primary context of CUDA device 0";
        }
        return d;
    }();
    return d;
}

CUcontext current_context() {
    Binding &b = binding();
    std::lock_guard<std::mutex> lock(b.mutex);
    return b.context ? b.context : driver().primary;
}

CUstream current_stream() {
    Binding &b = binding();
    std::lock_guard<std::mutex> lock(b.mutex);
    return b.stream;
}

#ifdef GOMHC_HAVE_CUDA
int acquire_context(void *, void **context, bool) {
    if (!driver().unavailable.empty()) {
        return -1;
    }
    *context = current_context();
    return 0;
}
int release_context(void *) { return 0; }
int get_stream(void *, void *, void **stream) {
    *stream = current_stream();
    return 0;
}

// Installed when the library loads, before any kernel can run.
const bool hooks_installed = [] {
    halide_set_cuda_acquire_context(&acquire_context);
    halide_set_cuda_release_context(&release_context);
    halide_set_cuda_get_stream(&get_stream);
    return true;
}();
#endif

// Runs fn with the kernels' context current, then restores the caller's.
template<typename Fn>
void with_context(const char *what, Fn fn) {
    const Driver &d = driver();
    if (d.cuCtxPushCurrent(current_context()) != 0) {
        throw KernelError(std::string(what) + ": could not make the CUDA context current");
    }
    CUresult r = fn(d);
    CUcontext previous = nullptr;
    d.cuCtxPopCurrent(&previous);
    if (r != 0) {
        throw KernelError(std::string(what) + " failed with CUDA error " + std::to_string(r));
    }
}

}  // namespace

bool cuda_available() {
#ifdef GOMHC_HAVE_CUDA
    return driver().unavailable.empty();
#else
    return false;
#endif
}

std::string cuda_unavailable_reason() {
#ifdef GOMHC_HAVE_CUDA
    return driver().unavailable;
#else
    return "this gomhc was built without CUDA kernels (GOMHC_BUILD_CUDA=OFF)";
#endif
}

void set_cuda_context(void *cu_context, void *cu_stream) {
    Binding &b = binding();
    std::lock_guard<std::mutex> lock(b.mutex);
    b.context = cu_context;
    b.stream = cu_stream;
}

void cuda_synchronize() {
    detail::require_cuda("gomhc::cuda_synchronize");
    CUstream stream = current_stream();
    with_context("gomhc::cuda_synchronize", [&](const Driver &d) {
        return stream ? d.cuStreamSynchronize(stream) : d.cuCtxSynchronize();
    });
}

float *cuda_malloc(size_t count) { return detail::cuda_alloc(count); }

void cuda_free(float *device_data) { detail::cuda_free(device_data); }

void cuda_upload(float *device_data, const float *host_data, size_t count) {
    cuda_synchronize();  // a queued kernel may still read the old contents
    detail::cuda_copy_to_device(device_data, host_data, count);
}

void cuda_download(float *host_data, const float *device_data, size_t count) {
    cuda_synchronize();
    detail::cuda_copy_to_host(host_data, device_data, count);
}

void cuda_copy(float *dst, const float *src, size_t count) {
    detail::cuda_copy_rows(dst, count, src, count, count, 1);
}

namespace detail {

void require_cuda(const char *op) {
    if (!cuda_available()) {
        throw Error(std::string(op) +
                    ": CUDA tensors given, but CUDA cannot be used: " + cuda_unavailable_reason());
    }
}

void wrap_cuda_buffer(halide_buffer_t *buffer, const void *device_data) {
#ifdef GOMHC_HAVE_CUDA
    require_cuda("gomhc::TensorView");
    if (halide_cuda_wrap_device_ptr(nullptr, buffer, reinterpret_cast<uint64_t>(device_data)) !=
        0) {
        throw KernelError("gomhc::TensorView: Halide could not wrap the CUDA pointer");
    }
#else
    (void)buffer;
    (void)device_data;
    require_cuda("gomhc::TensorView");
#endif
}

void detach_cuda_buffer(halide_buffer_t *buffer) {
#ifdef GOMHC_HAVE_CUDA
    halide_cuda_detach_device_ptr(nullptr, buffer);
#else
    (void)buffer;
#endif
}

void cuda_fill(float *device_data, size_t count, float value) {
    require_cuda("gomhc::cuda_fill");
    unsigned bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    CUstream stream = current_stream();
    with_context("cuMemsetD32Async", [&](const Driver &d) {
        return d.cuMemsetD32Async(reinterpret_cast<unsigned long long>(device_data), bits, count,
                                  stream);
    });
}

float *cuda_alloc(size_t count) {
    require_cuda("gomhc::cuda_alloc");
    unsigned long long pointer = 0;
    with_context("cuMemAlloc", [&](const Driver &d) {
        return d.cuMemAlloc(&pointer, std::max<size_t>(count, 1) * sizeof(float));
    });
    return reinterpret_cast<float *>(pointer);
}

void cuda_free(float *device_data) {
    if (device_data && cuda_available()) {
        const Driver &d = driver();
        if (d.cuCtxPushCurrent(current_context()) == 0) {
            d.cuMemFree(reinterpret_cast<unsigned long long>(device_data));
            CUcontext previous = nullptr;
            d.cuCtxPopCurrent(&previous);
        }
    }
}

void cuda_copy_to_device(float *device_data, const float *host_data, size_t count) {
    require_cuda("gomhc::cuda_copy_to_device");
    with_context("cuMemcpyHtoD", [&](const Driver &d) {
        return d.cuMemcpyHtoD(reinterpret_cast<unsigned long long>(device_data), host_data,
                              count * sizeof(float));
    });
}

void cuda_copy_to_host(float *host_data, const float *device_data, size_t count) {
    require_cuda("gomhc::cuda_copy_to_host");
    with_context("cuMemcpyDtoH", [&](const Driver &d) {
        return d.cuMemcpyDtoH(host_data, reinterpret_cast<unsigned long long>(device_data),
                              count * sizeof(float));
    });
}

void cuda_copy_rows(float *dst, size_t dst_pitch, const float *src, size_t src_pitch, size_t width,
                    size_t rows) {
    require_cuda("gomhc::cuda_copy_rows");
    Memcpy2D copy{};
    copy.src_memory_type = kMemoryTypeDevice;
    copy.src_device = reinterpret_cast<unsigned long long>(src);
    copy.src_pitch = src_pitch * sizeof(float);
    copy.dst_memory_type = kMemoryTypeDevice;
    copy.dst_device = reinterpret_cast<unsigned long long>(dst);
    copy.dst_pitch = dst_pitch * sizeof(float);
    copy.width_bytes = width * sizeof(float);
    copy.height = rows;
    CUstream stream = current_stream();
    with_context("cuMemcpy2DAsync",
                 [&](const Driver &d) { return d.cuMemcpy2DAsync(&copy, stream); });
}

}  // namespace detail
}  // namespace gomhc
