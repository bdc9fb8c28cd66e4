// A halide_buffer_t over a range of tokens of a TensorView.
//
// Halide indexes buffers with 32-bit integers, so the ops run huge token
// counts as several calls over token slices; each slice is a plain
// halide_buffer_t over part of the caller's memory, host or CUDA.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "HalideRuntime.h"
#include "gomhc/gomhc.hpp"

namespace gomhc {

// "[2, 3, 4]": how every error message writes a shape.
std::string format_shape(const Shape &shape);

struct HalideBufferSlice {
    HalideBufferSlice(const TensorView &view, int64_t first_token, int64_t tokens);
    HalideBufferSlice(const TokenView &view, int64_t first_token, int64_t tokens);
    // Any dense row-major array of `type` elements, starting `offset`
    // elements into `data` (an address, or an OpenCL cl_mem).
    HalideBufferSlice(const void *data, halide_type_t type, const Shape &shape, Device device,
                      int64_t first_token, int64_t tokens, int64_t offset = 0);
    ~HalideBufferSlice();
    HalideBufferSlice(const HalideBufferSlice &) = delete;
    HalideBufferSlice &operator=(const HalideBufferSlice &) = delete;

    halide_buffer_t buffer{};
    std::array<halide_dimension_t, Shape::kMaxRank> dims;
    Device device = Device::host;
    // OpenCL reaches an offset through a crop of the whole buffer.
    halide_buffer_t parent{}, crop{};
    halide_dimension_t parent_dims[2], crop_dims[2];
};

}  // namespace gomhc
