// TensorView and the halide_buffer_t slices the kernels run on.
#include <algorithm>
#include <limits>
#include <sstream>

#include "buffer_slice.h"
#include "cuda_driver.h"
#include "opencl_driver.h"

namespace gomhc {

void Shape::assign(const int64_t *extents, size_t rank) {
    if (rank > kMaxRank) {
        throw InvalidArgument("a shape of rank " + std::to_string(rank) + ", above the " +
                              std::to_string(kMaxRank) + " a view can take");
    }
    rank_ = rank;
    std::copy(extents, extents + rank, extents_);
}

TensorView::TensorView(float *data, const Shape &shape, Device device, int64_t offset)
    : data_(data), shape_(shape), device_(device), offset_(offset) {
    if (offset < 0) {
        throw InvalidArgument("TensorView: negative offset " + std::to_string(offset));
    }
    for (int64_t extent : shape_) {
        if (extent < 0) {
            throw InvalidArgument("TensorView: negative extent in shape " + shape_string());
        }
    }
}

TensorView TensorView::host(float *data, const Shape &shape) {
    return TensorView(data, shape, Device::host);
}
TensorView TensorView::host(const float *data, const Shape &shape) {
    // Inputs are never written; halide_buffer_t just has no const pointer.
    return TensorView(const_cast<float *>(data), shape, Device::host);
}
TensorView TensorView::cuda(float *device_data, const Shape &shape) {
    return TensorView(device_data, shape, Device::cuda);
}
TensorView TensorView::cuda(const float *device_data, const Shape &shape) {
    return TensorView(const_cast<float *>(device_data), shape, Device::cuda);
}
TensorView TensorView::opencl(void *cl_mem, const Shape &shape, int64_t offset) {
    return TensorView(static_cast<float *>(cl_mem), shape, Device::opencl, offset);
}

TokenView::TokenView(const int32_t *data, const Shape &shape, Device device, int64_t offset)
    : data_(data), shape_(shape), device_(device), offset_(offset) {
    if (offset < 0) {
        throw InvalidArgument("TokenView: negative offset " + std::to_string(offset));
    }
    for (int64_t extent : shape_) {
        if (extent < 0) {
            throw InvalidArgument("TokenView: negative extent in shape " + shape_string());
        }
    }
}

TokenView TokenView::host(const int32_t *data, const Shape &shape) {
    return TokenView(data, shape, Device::host);
}
TokenView TokenView::cuda(const int32_t *device_data, const Shape &shape) {
    return TokenView(device_data, shape, Device::cuda);
}
TokenView TokenView::opencl(const void *cl_mem, const Shape &shape, int64_t offset) {
    return TokenView(static_cast<const int32_t *>(cl_mem), shape, Device::opencl, offset);
}

int64_t TokenView::size() const {
    int64_t total = 1;
    for (int64_t extent : shape_) {
        total *= extent;
    }
    return total;
}

std::string TokenView::shape_string() const { return format_shape(shape_); }

int64_t TensorView::size() const {
    int64_t total = 1;
    for (int64_t extent : shape_) {
        total *= extent;
    }
    return total;
}

std::string format_shape(const Shape &shape) {
    std::ostringstream out;
    out << "[";
    for (size_t i = 0; i < shape.size(); i++) {
        out << (i ? ", " : "") << shape[i];
    }
    out << "]";
    return out.str();
}

std::string TensorView::shape_string() const { return format_shape(shape_); }

TensorView TensorView::reshaped(const Shape &shape) const {
    TensorView out(data_, shape, device_, offset_);
    if (out.size() != size()) {
        throw InvalidArgument("TensorView::reshaped: shape " + format_shape(shape) + " holds " +
                              std::to_string(out.size()) + " elements, the view " +
                              std::to_string(size()) + " (" + shape_string() + ")");
    }
    return out;
}

halide_buffer_t *TensorView::raw() const {
    if (!raw_) {
        const int64_t tokens = shape_.empty() ? 1 : shape_[0];
        raw_ = std::make_shared<HalideBufferSlice>(*this, 0, tokens);
    }
    return &raw_->buffer;
}

HalideBufferSlice::HalideBufferSlice(const TensorView &view, int64_t first_token, int64_t tokens)
    : HalideBufferSlice(view.data(), halide_type_t(halide_type_float, 32), view.shape(),
                        view.device(), first_token, tokens, view.offset()) {}

HalideBufferSlice::HalideBufferSlice(const TokenView &view, int64_t first_token, int64_t tokens)
    : HalideBufferSlice(view.data(), halide_type_t(halide_type_int, 32), view.shape(),
                        view.device(), first_token, tokens, view.offset()) {}

HalideBufferSlice::HalideBufferSlice(const void *data, halide_type_t type, const Shape &shape,
                                     Device device, int64_t first_token, int64_t tokens,
                                     int64_t offset)
    : device(device) {
    const int rank = int(shape.size());
    int64_t per_token = 1;
    for (int i = 1; i < rank; i++) {
        per_token *= shape[i];
    }
    if (per_token * tokens > std::numeric_limits<int32_t>::max()) {
        throw InvalidArgument("tensor of shape " + format_shape(shape) +
                              " is too large for one Halide buffer (2^31 elements)");
    }
    // Halide's dimension 0 is the innermost (last, row-major) index.
    int64_t stride = 1;
    for (int i = 0; i < rank; i++) {
        const int64_t extent = i == rank - 1 ? tokens : shape[rank - 1 - i];
        dims[i] = halide_dimension_t(0, int32_t(extent), int32_t(stride));
        stride *= extent;
    }
    buffer.type = type;
    buffer.dimensions = rank;
    buffer.dim = dims.data();
    const int64_t first_byte = (offset + first_token * per_token) * type.bytes();
    const auto *first = static_cast<const uint8_t *>(data) + first_byte;
    switch (device) {
        case Device::host:
            buffer.host = const_cast<uint8_t *>(first);
            break;
        case Device::cuda:
            detail::wrap_cuda_buffer(&buffer, first);
            break;
        case Device::opencl:
            detail::wrap_opencl_buffer(&buffer, const_cast<void *>(data), first_byte, &parent,
                                       parent_dims, &crop, crop_dims);
            break;
    }
}

HalideBufferSlice::~HalideBufferSlice() {
    if (device == Device::cuda) {
        detail::detach_cuda_buffer(&buffer);
    } else if (device == Device::opencl) {
        detail::detach_opencl_buffer(&buffer, &parent, &crop);
    }
}

}  // namespace gomhc
