// The slice of OpenCL the runtime needs, loaded on first use with dlopen so
// the library links and runs on machines without OpenCL. The kernels and
// gomhc's own copies run in one context on one command queue: the caller's
// (gomhc::set_opencl_queue) or one made the way Halide makes its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "HalideRuntime.h"

namespace gomhc::detail {

// Throws gomhc::Error naming `op` and the reason when OpenCL cannot be used.
void require_opencl(const char *op);
// Point a halide_buffer_t at `offset_bytes` into the caller's cl_mem, and let
// go of it. `parent` and `crop` are scratch the binding keeps until detach.
void wrap_opencl_buffer(halide_buffer_t *buffer, void *cl_mem, int64_t offset_bytes,
                        halide_buffer_t *parent, halide_dimension_t *parent_dim,
                        halide_buffer_t *crop, halide_dimension_t *crop_dim);
void detach_opencl_buffer(halide_buffer_t *buffer, halide_buffer_t *parent, halide_buffer_t *crop);
// Buffers of `bytes` bytes in the kernels' context.
void *opencl_alloc(size_t bytes);
void opencl_free(void *cl_mem);
// Copies and fills on the kernels' queue, in bytes from each buffer's start;
// upload and download wait until done.
void opencl_fill(void *cl_mem, size_t offset, size_t count, float value);
void opencl_copy_rows(void *dst, size_t dst_offset, size_t dst_pitch, const void *src,
                      size_t src_offset, size_t src_pitch, size_t width, size_t rows);
void opencl_upload(void *cl_mem, size_t offset, const void *host, size_t bytes);
void opencl_download(void *host, const void *cl_mem, size_t offset, size_t bytes);

// Halide hands a kernel a view at an offset as an OpenCL sub-buffer, which
// must start at a multiple of the device's base address alignment (128 bytes
// on PoCL, up to 512 on GPUs). A view elsewhere (a layer's bias inside its
// parameter block, a model's tensors inside one flat block) is staged for
// the length of one kernel call: copied into an aligned scratch buffer when
// it is bound, and copied back after the kernel, in queue order. One staging
// scope spans one call (call_sliced / call_whole); a region bound twice (an
// input the kernel also writes) is staged once.
class OpenClStaging {
public:
    OpenClStaging();
    ~OpenClStaging();
    OpenClStaging(const OpenClStaging &) = delete;
    OpenClStaging &operator=(const OpenClStaging &) = delete;

    // The scratch buffer holding [offset, offset + bytes) of `cl_mem`.
    void *stage(void *cl_mem, size_t offset, size_t bytes);

private:
    struct Region {
        void *mem;
        size_t offset, bytes;
        void *scratch;
        size_t capacity;
    };
    std::vector<Region> regions_;
    OpenClStaging *previous_;
};

}  // namespace gomhc::detail
