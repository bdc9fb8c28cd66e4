// The slice of the CUDA driver API the runtime needs, loaded on first use
// with dlopen, so the library links and runs on machines without a GPU.
#pragma once

#include <string>

#include "HalideRuntime.h"

namespace gomhc::detail {

// Throws gomhc::Error naming `op` and the reason when CUDA cannot be used.
void require_cuda(const char *op);
// Point a halide_buffer_t at CUDA memory owned by the caller, and let go of it.
void wrap_cuda_buffer(halide_buffer_t *buffer, const void *device_data);
void detach_cuda_buffer(halide_buffer_t *buffer);
// Fill `count` floats of device memory with `value` on the current stream.
void cuda_fill(float *device_data, size_t count, float value);
// Device memory for the layer's parameters and workspaces (count floats).
float *cuda_alloc(size_t count);
void cuda_free(float *device_data);
void cuda_copy_to_device(float *device_data, const float *host_data, size_t count);
void cuda_copy_to_host(float *host_data, const float *device_data, size_t count);
// Copies `rows` rows of `width` floats between device arrays with the given
// row pitches (in floats), on the current stream.
void cuda_copy_rows(float *dst, size_t dst_pitch, const float *src, size_t src_pitch, size_t width,
                    size_t rows);

}  // namespace gomhc::detail
