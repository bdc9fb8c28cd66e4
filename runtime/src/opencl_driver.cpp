// OpenCL support: the library loaded with dlopen, the context and command
// queue the kernels run on (Halide's acquire/release hooks), device memory,
// and the wrapping of caller buffers for the kernels.
//
// Halide's default hooks make a private context. A trainer that also runs
// CLBlast, or a caller with a queue of its own, needs the kernels in the same
// context and queue, so the hooks here hand Halide the caller's queue
// (set_opencl_queue) or one gomhc makes as Halide would: the platform whose
// name contains HL_OCL_PLATFORM_NAME, devices of type HL_OCL_DEVICE_TYPE
// (cpu, gpu, acc; any by default), device HL_GPU_DEVICE (the first by
// default).
#include "opencl_driver.h"

#ifdef GOMHC_HAVE_OPENCL

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "HalideRuntimeOpenCL.h"
#include "gomhc/gomhc.hpp"

namespace gomhc {
namespace {

// Each entry point's type from the CL headers; nothing is linked.
// clang-format off
#define GOMHC_CL_FUNCTIONS(X)                                                    \
    X(clGetPlatformIDs) X(clGetPlatformInfo) X(clGetDeviceIDs) X(clGetDeviceInfo) \
    X(clCreateContext) X(clCreateCommandQueue) X(clGetCommandQueueInfo)           \
    X(clCreateBuffer) X(clReleaseMemObject) X(clEnqueueWriteBuffer)               \
    X(clEnqueueReadBuffer) X(clEnqueueFillBuffer) X(clEnqueueCopyBuffer)          \
    X(clEnqueueCopyBufferRect) X(clFinish)
// clang-format on

struct Api {
#define GOMHC_CL_MEMBER(name) decltype(&::name) name = nullptr;
    GOMHC_CL_FUNCTIONS(GOMHC_CL_MEMBER)
#undef GOMHC_CL_MEMBER
    std::string unavailable;  // empty when the library loaded
};

const Api &api() {
    static const Api a = [] {
        Api a;
        void *library = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            a.unavailable = std::string("the OpenCL library libOpenCL.so.1 could not be loaded (") +
                            dlerror() +
                            "); install an OpenCL driver (ocl-icd-libopencl1 and, "
                            "without a GPU, pocl-opencl-icd)";
            return a;
        }
#define GOMHC_CL_LOAD(name)                                               \
    a.name = reinterpret_cast<decltype(a.name)>(dlsym(library, #name));   \
    if (!a.name) {                                                        \
        a.unavailable = "the OpenCL library libOpenCL.so.1 lacks " #name; \
        return a;                                                         \
    }
        GOMHC_CL_FUNCTIONS(GOMHC_CL_LOAD)
#undef GOMHC_CL_LOAD
        return a;
    }();
    return a;
}

std::string platform_name(cl_platform_id platform) {
    char name[256] = {};
    api().clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof name - 1, name, nullptr);
    return name;
}

std::string device_name(cl_device_id device) {
    char name[256] = {};
    api().clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name - 1, name, nullptr);
    return name;
}

const char *env(const char *name) {
    const char *value = std::getenv(name);
    return value && *value ? value : nullptr;
}

struct Queue {
    cl_context context = nullptr;
    cl_command_queue queue = nullptr;
    std::string device;       // "platform: device"
    std::string unavailable;  // why there is none
};

// The device's base address alignment in bytes: where a sub-buffer may start.
size_t base_alignment(cl_command_queue queue) {
    cl_device_id device = nullptr;
    cl_uint bits = 0;
    if (api().clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, nullptr) !=
            CL_SUCCESS ||
        api().clGetDeviceInfo(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits, nullptr) !=
            CL_SUCCESS ||
        bits < 8) {
        return 4096;  // the largest any device asks for
    }
    return bits / 8;
}

// The platform and device as Halide picks them, or why there is none.
Queue make_queue() {
    Queue q;
    const Api &a = api();
    if (!a.unavailable.empty()) {
        q.unavailable = a.unavailable;
        return q;
    }
    cl_uint count = 0;
    if (a.clGetPlatformIDs(0, nullptr, &count) != CL_SUCCESS || count == 0) {
        q.unavailable = "no OpenCL platform is installed (for the CPU: pocl-opencl-icd)";
        return q;
    }
    std::vector<cl_platform_id> platforms(count);
    a.clGetPlatformIDs(count, platforms.data(), nullptr);
    const char *wanted_platform = env("HL_OCL_PLATFORM_NAME");
    const char *type_name = env("HL_OCL_DEVICE_TYPE");
    cl_device_type type = CL_DEVICE_TYPE_ALL;
    if (type_name) {
        type = std::strstr(type_name, "cpu")   ? CL_DEVICE_TYPE_CPU
               : std::strstr(type_name, "gpu") ? CL_DEVICE_TYPE_GPU
               : std::strstr(type_name, "acc") ? CL_DEVICE_TYPE_ACCELERATOR
                                               : CL_DEVICE_TYPE_ALL;
    }
    std::string found;
    for (cl_platform_id platform : platforms) {
        const std::string name = platform_name(platform);
        found += (found.empty() ? "'" : ", '") + name + "'";
        if (wanted_platform && name.find(wanted_platform) == std::string::npos) {
            continue;
        }
        cl_uint devices = 0;
        if (a.clGetDeviceIDs(platform, type, 0, nullptr, &devices) != CL_SUCCESS || devices == 0) {
            continue;
        }
        std::vector<cl_device_id> ids(devices);
        a.clGetDeviceIDs(platform, type, devices, ids.data(), nullptr);
        const char *index_text = env("HL_GPU_DEVICE");
        const long index = index_text ? std::strtol(index_text, nullptr, 10) : 0;
        if (index < 0 || index >= long(devices)) {
            q.unavailable = "HL_GPU_DEVICE = " + std::string(index_text) + ", but platform '" +
                            name + "' has " + std::to_string(devices) + " such devices";
            return q;
        }
        cl_device_id device = ids[size_t(index)];
        cl_context_properties properties[] = {CL_CONTEXT_PLATFORM, cl_context_properties(platform),
                                              0};
        cl_int error = CL_SUCCESS;
        q.context = a.clCreateContext(properties, 1, &device, nullptr, nullptr, &error);
        if (error != CL_SUCCESS) {
            q.unavailable = "clCreateContext failed with OpenCL error " + std::to_string(error);
            return q;
        }
        q.queue = a.clCreateCommandQueue(q.context, device, 0, &error);
        if (error != CL_SUCCESS) {
            q.unavailable =
                "clCreateCommandQueue failed with OpenCL error " + std::to_string(error);
            q.context = nullptr;
            return q;
        }
        q.device = name + ": " + device_name(device);
        return q;
    }
    q.unavailable =
        std::string("no OpenCL device") +
        (type_name ? std::string(" of type '") + type_name + "'" : std::string()) +
        (wanted_platform ? std::string(" on a platform named like '") + wanted_platform + "'"
                         : std::string()) +
        "; the platforms found: " + found;
    return q;
}

struct Binding {
    std::mutex mutex;
    bool made = false;
    cl_command_queue aligned_for = nullptr;  // the queue `alignment` was read from
    size_t alignment = 0;
    std::vector<std::pair<size_t, void *>> scratch;  // staging buffers free for reuse
    Queue own;                                       // made on first use, if the caller set none
    cl_context context = nullptr;                    // the caller's, when set
    cl_command_queue queue = nullptr;
    std::mutex kernels;  // held by Halide between acquire and release
};

Binding &binding() {
    static Binding b;
    return b;
}

// The context and queue in use; throws when there are none.
Queue current(const char *op) {
    Binding &b = binding();
    std::lock_guard<std::mutex> lock(b.mutex);
    if (b.queue) {
        return {b.context, b.queue, "the caller's queue", ""};
    }
    if (!b.made) {
        b.own = make_queue();
        b.made = true;
    }
    if (!b.own.unavailable.empty()) {
        throw Error(std::string(op) + ": OpenCL cannot be used: " + b.own.unavailable);
    }
    return b.own;
}

void check(const char *what, cl_int error) {
    if (error != CL_SUCCESS) {
        throw KernelError(std::string(what) + " failed with OpenCL error " + std::to_string(error));
    }
}

}  // namespace

bool opencl_available() {
    try {
        current("gomhc::opencl_available");
        return true;
    } catch (const Error &) {
        return false;
    }
}

std::string opencl_unavailable_reason() {
    try {
        current("gomhc");
        return "";
    } catch (const Error &e) {
        return e.what();
    }
}

std::string opencl_device() {
    detail::require_opencl("gomhc::opencl_device");
    return current("gomhc::opencl_device").device;
}

void set_opencl_queue(void *cl_context, void *cl_command_queue) {
    Binding &b = binding();
    std::lock_guard<std::mutex> lock(b.mutex);
    b.context = static_cast<::cl_context>(cl_context);
    b.queue = static_cast<::cl_command_queue>(cl_command_queue);
}

void *opencl_context() {
    detail::require_opencl("gomhc::opencl_context");
    return current("gomhc::opencl_context").context;
}

void *opencl_queue() {
    detail::require_opencl("gomhc::opencl_queue");
    return current("gomhc::opencl_queue").queue;
}

void opencl_synchronize() {
    detail::require_opencl("gomhc::opencl_synchronize");
    check("clFinish", api().clFinish(current("gomhc::opencl_synchronize").queue));
}

namespace detail {

void require_opencl(const char *op) { current(op); }

namespace {
thread_local OpenClStaging *current_staging = nullptr;

size_t alignment_of(cl_command_queue queue) {
    Binding &b = binding();
    std::lock_guard<std::mutex> lock(b.mutex);
    if (b.aligned_for != queue) {
        b.alignment = base_alignment(queue);
        b.aligned_for = queue;
    }
    return b.alignment;
}

size_t bytes_of(const halide_buffer_t *buffer) {
    size_t count = 1;
    for (int i = 0; i < buffer->dimensions; i++) {
        count *= size_t(buffer->dim[i].extent);
    }
    return count * buffer->type.bytes();
}
}  // namespace

OpenClStaging::OpenClStaging() : previous_(current_staging) { current_staging = this; }

OpenClStaging::~OpenClStaging() {
    current_staging = previous_;
    if (regions_.empty()) {
        return;
    }
    cl_command_queue queue = nullptr;
    try {
        queue = current("gomhc::OpenClStaging").queue;
    } catch (const Error &) {
        return;
    }
    Binding &b = binding();
    for (const Region &r : regions_) {
        // Queued after the kernel: the copy back sees what it wrote.
        api().clEnqueueCopyBuffer(queue, static_cast<::cl_mem>(r.scratch),
                                  static_cast<::cl_mem>(r.mem), 0, r.offset, r.bytes, 0, nullptr,
                                  nullptr);
        std::lock_guard<std::mutex> lock(b.mutex);
        b.scratch.emplace_back(r.capacity, r.scratch);
    }
}

void *OpenClStaging::stage(void *cl_mem, size_t offset, size_t bytes) {
    for (const Region &r : regions_) {
        if (r.mem == cl_mem && r.offset == offset && r.bytes == bytes) {
            return r.scratch;
        }
    }
    Region region{cl_mem, offset, bytes, nullptr, 0};
    {
        Binding &b = binding();
        std::lock_guard<std::mutex> lock(b.mutex);
        for (size_t i = 0; i < b.scratch.size(); i++) {
            if (b.scratch[i].first >= bytes) {
                region.capacity = b.scratch[i].first;
                region.scratch = b.scratch[i].second;
                b.scratch.erase(b.scratch.begin() + long(i));
                break;
            }
        }
    }
    if (!region.scratch) {
        region.capacity = bytes;
        region.scratch = opencl_alloc(bytes);
    }
    check("clEnqueueCopyBuffer", api().clEnqueueCopyBuffer(current("gomhc::OpenClStaging").queue,
                                                           static_cast<::cl_mem>(cl_mem),
                                                           static_cast<::cl_mem>(region.scratch),
                                                           offset, 0, bytes, 0, nullptr, nullptr));
    regions_.push_back(region);
    return region.scratch;
}

void wrap_opencl_buffer(halide_buffer_t *buffer, void *cl_mem, int64_t offset_bytes,
                        halide_buffer_t *parent, halide_dimension_t *parent_dim,
                        halide_buffer_t *crop, halide_dimension_t *crop_dim) {
    require_opencl("gomhc::TensorView");
    if (offset_bytes != 0 && current_staging &&
        size_t(offset_bytes) % alignment_of(current("gomhc::TensorView").queue) != 0) {
        cl_mem = current_staging->stage(cl_mem, size_t(offset_bytes), bytes_of(buffer));
        offset_bytes = 0;
    }
    const auto handle = reinterpret_cast<uint64_t>(cl_mem);
    if (offset_bytes == 0) {
        if (halide_opencl_wrap_cl_mem(nullptr, buffer, handle) != 0) {
            throw KernelError("gomhc::TensorView: Halide could not wrap the OpenCL buffer");
        }
        return;
    }
    // Halide reaches into a cl_mem at an offset through a crop: `parent`
    // covers the buffer's bytes as rows of kRow, `crop` starts at the offset.
    constexpr int32_t kRow = 1 << 20;
    const int64_t rows = offset_bytes / kRow + 1;
    parent_dim[0] = halide_dimension_t(0, kRow, 1);
    parent_dim[1] = halide_dimension_t(0, int32_t(rows), kRow);
    crop_dim[0] = halide_dimension_t(int32_t(offset_bytes % kRow), 1, 1);
    crop_dim[1] = halide_dimension_t(int32_t(offset_bytes / kRow), 1, kRow);
    for (halide_buffer_t *b : {parent, crop}) {
        *b = halide_buffer_t{};
        b->type = halide_type_t(halide_type_uint, 8);
        b->dimensions = 2;
    }
    parent->dim = parent_dim;
    crop->dim = crop_dim;
    if (halide_opencl_wrap_cl_mem(nullptr, parent, handle) != 0 ||
        halide_device_crop(nullptr, parent, crop) != 0) {
        throw KernelError("gomhc::TensorView: Halide could not wrap the OpenCL buffer at offset " +
                          std::to_string(offset_bytes));
    }
    buffer->device = crop->device;
    buffer->device_interface = crop->device_interface;
}

void detach_opencl_buffer(halide_buffer_t *buffer, halide_buffer_t *parent, halide_buffer_t *crop) {
    if (crop->device) {
        buffer->device = 0;
        buffer->device_interface = nullptr;
        halide_device_release_crop(nullptr, crop);
        halide_opencl_detach_cl_mem(nullptr, parent);
    } else {
        halide_opencl_detach_cl_mem(nullptr, buffer);
    }
}

void *opencl_alloc(size_t bytes) {
    require_opencl("gomhc::opencl_alloc");
    cl_int error = CL_SUCCESS;
    cl_mem mem = api().clCreateBuffer(current("gomhc::opencl_alloc").context, CL_MEM_READ_WRITE,
                                      std::max<size_t>(bytes, 4), nullptr, &error);
    check("clCreateBuffer", error);
    return mem;
}

void opencl_free(void *cl_mem) {
    if (cl_mem && api().unavailable.empty()) {
        api().clReleaseMemObject(static_cast<::cl_mem>(cl_mem));
    }
}

void opencl_fill(void *cl_mem, size_t offset, size_t count, float value) {
    if (count == 0) {
        return;
    }
    check("clEnqueueFillBuffer",
          api().clEnqueueFillBuffer(current("gomhc::opencl_fill").queue,
                                    static_cast<::cl_mem>(cl_mem), &value, sizeof value, offset,
                                    count * sizeof value, 0, nullptr, nullptr));
}

void opencl_copy_rows(void *dst, size_t dst_offset, size_t dst_pitch, const void *src,
                      size_t src_offset, size_t src_pitch, size_t width, size_t rows) {
    if (width == 0 || rows == 0) {
        return;
    }
    // clEnqueueCopyBufferRect: origins (bytes, rows, slices) and the region
    // (width in bytes, rows, 1 slice).
    const size_t src_origin[3] = {src_offset % src_pitch, src_offset / src_pitch, 0};
    const size_t dst_origin[3] = {dst_offset % dst_pitch, dst_offset / dst_pitch, 0};
    const size_t region[3] = {width, rows, 1};
    check("clEnqueueCopyBufferRect",
          api().clEnqueueCopyBufferRect(current("gomhc::opencl_copy_rows").queue,
                                        static_cast<::cl_mem>(const_cast<void *>(src)),
                                        static_cast<::cl_mem>(dst), src_origin, dst_origin, region,
                                        src_pitch, 0, dst_pitch, 0, 0, nullptr, nullptr));
}

void opencl_upload(void *cl_mem, size_t offset, const void *host, size_t bytes) {
    if (bytes == 0) {
        return;
    }
    check("clEnqueueWriteBuffer",
          api().clEnqueueWriteBuffer(current("gomhc::opencl_upload").queue,
                                     static_cast<::cl_mem>(cl_mem), CL_TRUE, offset, bytes, host, 0,
                                     nullptr, nullptr));
}

void opencl_download(void *host, const void *cl_mem, size_t offset, size_t bytes) {
    if (bytes == 0) {
        return;
    }
    check("clEnqueueReadBuffer",
          api().clEnqueueReadBuffer(current("gomhc::opencl_download").queue,
                                    static_cast<::cl_mem>(const_cast<void *>(cl_mem)), CL_TRUE,
                                    offset, bytes, host, 0, nullptr, nullptr));
}

}  // namespace detail
}  // namespace gomhc

// Halide's hooks (weak in its runtime; these take their place): the kernels
// run on gomhc's queue, one call at a time between acquire and release.
extern "C" int halide_acquire_cl_context(void *, cl_context *ctx, cl_command_queue *q,
                                         bool create) {
    gomhc::Binding &b = gomhc::binding();
    b.kernels.lock();
    if (!create) {
        // Halide asks without `create` only to release the context it made
        // (halide_opencl_device_release, at exit): it made none.
        *ctx = nullptr;
        *q = nullptr;
        return 0;
    }
    try {
        const gomhc::Queue queue = gomhc::current("Halide");
        *ctx = queue.context;
        *q = queue.queue;
        return 0;
    } catch (const gomhc::Error &) {
        b.kernels.unlock();
        return CL_DEVICE_NOT_FOUND;
    }
}

extern "C" int halide_release_cl_context(void *) {
    gomhc::binding().kernels.unlock();
    return 0;
}

#else  // built without OpenCL: every OpenCL view or call says so

#include <string>

#include "gomhc/gomhc.hpp"

namespace gomhc {
namespace {
constexpr const char *kNoOpenCl =
    "this gomhc was built without OpenCL kernels (GOMHC_BUILD_OPENCL=OFF)";
}  // namespace

bool opencl_available() { return false; }
std::string opencl_unavailable_reason() { return kNoOpenCl; }
std::string opencl_device() { throw Error(std::string("gomhc::opencl_device: ") + kNoOpenCl); }
void set_opencl_queue(void *, void *) {}
void *opencl_context() { throw Error(std::string("gomhc::opencl_context: ") + kNoOpenCl); }
void *opencl_queue() { throw Error(std::string("gomhc::opencl_queue: ") + kNoOpenCl); }
void opencl_synchronize() { throw Error(std::string("gomhc::opencl_synchronize: ") + kNoOpenCl); }

namespace detail {
void require_opencl(const char *op) {
    throw Error(std::string(op) + ": OpenCL tensors given, but " + kNoOpenCl);
}
void wrap_opencl_buffer(halide_buffer_t *, void *, int64_t, halide_buffer_t *, halide_dimension_t *,
                        halide_buffer_t *, halide_dimension_t *) {
    require_opencl("gomhc::TensorView");
}
void detach_opencl_buffer(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *) {}
OpenClStaging::OpenClStaging() : previous_(nullptr) {}
OpenClStaging::~OpenClStaging() = default;
void *OpenClStaging::stage(void *, size_t, size_t) {
    require_opencl("gomhc::OpenClStaging");
    return nullptr;
}
void *opencl_alloc(size_t) {
    require_opencl("gomhc::opencl_alloc");
    return nullptr;
}
void opencl_free(void *) {}
void opencl_fill(void *, size_t, size_t, float) { require_opencl("gomhc::opencl_fill"); }
void opencl_copy_rows(void *, size_t, size_t, const void *, size_t, size_t, size_t, size_t) {
    require_opencl("gomhc::opencl_copy_rows");
}
void opencl_upload(void *, size_t, const void *, size_t) { require_opencl("gomhc::opencl_upload"); }
void opencl_download(void *, const void *, size_t, size_t) {
    require_opencl("gomhc::opencl_download");
}
}  // namespace detail
}  // namespace gomhc

#endif
