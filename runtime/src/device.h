// What differs between the devices, in one place: whether one can be used,
// its memory, copies and fills, for host, CUDA and OpenCL alike. The ops,
// the layer, the mixers and DeviceMemory go through these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gomhc/gomhc.hpp"

namespace gomhc::detail {

// A place in one device's memory: a host or CUDA address, or an OpenCL
// cl_mem, and an offset in floats from it.
struct DeviceAddress {
    Device device;
    float *base;
    int64_t offset;

    DeviceAddress operator+(int64_t floats) const { return {device, base, offset + floats}; }
};

DeviceAddress address_of(const TensorView &view);
// A view of `shape` at `at`.
TensorView view_at(const DeviceAddress &at, const Shape &shape);

// Throws gomhc::Error naming `op` and why when `device` cannot be used.
void require_device(const char *op, Device device);
// `count` floats on a GPU device (not host), and back.
float *device_alloc(Device device, size_t count);
void device_free(Device device, float *base);
// Queued on the device's stream or queue (done at once on the host).
void device_fill(const DeviceAddress &at, size_t count, float value);
// `rows` rows of `width` floats between arrays with row pitches in floats.
void device_copy_rows(const DeviceAddress &dst, size_t dst_pitch, const DeviceAddress &src,
                      size_t src_pitch, size_t width, size_t rows);
// Copies bytes between host memory and the device, waiting until done.
void device_upload(const DeviceAddress &dst, const void *host, size_t bytes);
void device_download(void *host, const DeviceAddress &src, size_t bytes);

}  // namespace gomhc::detail
