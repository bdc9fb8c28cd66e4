// The device dispatch of device.h, and DeviceMemory.
#include "device.h"

#include <algorithm>
#include <cstring>

#include "cuda_driver.h"
#include "opencl_driver.h"

namespace gomhc {

const char *device_name(Device device) {
    switch (device) {
        case Device::host:
            return "host";
        case Device::cuda:
            return "CUDA";
        case Device::opencl:
            return "OpenCL";
    }
    return "?";
}

namespace detail {

DeviceAddress address_of(const TensorView &view) {
    return {view.device(), const_cast<float *>(view.data()), view.offset()};
}

TensorView view_at(const DeviceAddress &at, const Shape &shape) {
    switch (at.device) {
        case Device::host:
            return TensorView::host(at.base + at.offset, shape);
        case Device::cuda:
            return TensorView::cuda(at.base + at.offset, shape);
        case Device::opencl:
            return TensorView::opencl(at.base, shape, at.offset);
    }
    throw InvalidArgument("gomhc: unknown device value " + std::to_string(int(at.device)));
}

void require_device(const char *op, Device device) {
    if (device == Device::cuda) {
        require_cuda(op);
    } else if (device == Device::opencl) {
        require_opencl(op);
    }
}

float *device_alloc(Device device, size_t count) {
    if (device == Device::cuda) {
        return cuda_alloc(count);
    }
    return static_cast<float *>(opencl_alloc(std::max<size_t>(count, 1) * sizeof(float)));
}

void device_free(Device device, float *base) {
    if (device == Device::cuda) {
        cuda_free(base);
    } else if (device == Device::opencl) {
        opencl_free(base);
    }
}

void device_fill(const DeviceAddress &at, size_t count, float value) {
    if (count == 0) {
        return;
    }
    switch (at.device) {
        case Device::host:
            std::fill_n(at.base + at.offset, count, value);
            break;
        case Device::cuda:
            if (count > 0) {
                cuda_fill(at.base + at.offset, count, value);
            }
            break;
        case Device::opencl:
            opencl_fill(at.base, size_t(at.offset) * sizeof(float), count, value);
            break;
    }
}

void device_copy_rows(const DeviceAddress &dst, size_t dst_pitch, const DeviceAddress &src,
                      size_t src_pitch, size_t width, size_t rows) {
    if (width == 0 || rows == 0) {
        return;
    }
    switch (dst.device) {
        case Device::host:
            for (size_t r = 0; r < rows; r++) {
                std::memmove(dst.base + dst.offset + r * dst_pitch,
                             src.base + src.offset + r * src_pitch, width * sizeof(float));
            }
            break;
        case Device::cuda:
            cuda_copy_rows(dst.base + dst.offset, dst_pitch, src.base + src.offset, src_pitch,
                           width, rows);
            break;
        case Device::opencl:
            opencl_copy_rows(dst.base, size_t(dst.offset) * sizeof(float),
                             dst_pitch * sizeof(float), src.base,
                             size_t(src.offset) * sizeof(float), src_pitch * sizeof(float),
                             width * sizeof(float), rows);
            break;
    }
}

void device_upload(const DeviceAddress &dst, const void *host, size_t bytes) {
    if (bytes == 0) {
        return;  // an empty array may have no memory at all
    }
    switch (dst.device) {
        case Device::host:
            std::memcpy(dst.base + dst.offset, host, bytes);
            break;
        case Device::cuda:
            cuda_copy_to_device(dst.base + dst.offset, static_cast<const float *>(host),
                                bytes / sizeof(float));
            break;
        case Device::opencl:
            opencl_upload(dst.base, size_t(dst.offset) * sizeof(float), host, bytes);
            break;
    }
}

void device_download(void *host, const DeviceAddress &src, size_t bytes) {
    if (bytes == 0) {
        return;
    }
    switch (src.device) {
        case Device::host:
            std::memcpy(host, src.base + src.offset, bytes);
            break;
        case Device::cuda:
            cuda_copy_to_host(static_cast<float *>(host), src.base + src.offset,
                              bytes / sizeof(float));
            break;
        case Device::opencl:
            opencl_download(host, src.base, size_t(src.offset) * sizeof(float), bytes);
            break;
    }
}

}  // namespace detail

using namespace detail;

namespace {
// Waits for the kernels queued on `device`, so a copy sees their results and
// they see the copy's.
void wait_for_kernels(Device device) {
    if (device == Device::cuda) {
        cuda_synchronize();
    } else if (device == Device::opencl) {
        opencl_synchronize();
    }
}
}  // namespace

void download(const TensorView &view, float *host) {
    require_device("gomhc::download", view.device());
    wait_for_kernels(view.device());
    device_download(host, address_of(view), size_t(view.size()) * sizeof(float));
}

void upload(const float *host, const TensorView &view) {
    require_device("gomhc::upload", view.device());
    wait_for_kernels(view.device());
    device_upload(address_of(view), host, size_t(view.size()) * sizeof(float));
}

DeviceMemory::DeviceMemory(Device device, size_t count) : device_(device), count_(count) {
    require_device("gomhc::DeviceMemory", device);
    data_ = device == Device::host ? new float[std::max<size_t>(count, 1)]()
                                   : device_alloc(device, count);
    if (device != Device::host) {
        fill(0.0f);
    }
}

DeviceMemory::~DeviceMemory() {
    if (device_ == Device::host) {
        delete[] data_;
    } else {
        device_free(device_, data_);
    }
}

DeviceMemory::DeviceMemory(DeviceMemory &&other) noexcept { *this = std::move(other); }

DeviceMemory &DeviceMemory::operator=(DeviceMemory &&other) noexcept {
    if (this != &other) {
        this->~DeviceMemory();
        device_ = other.device_;
        count_ = other.count_;
        data_ = other.data_;
        other.data_ = nullptr;
        other.count_ = 0;
    }
    return *this;
}

namespace {
void check_range(const char *op, size_t offset, size_t count, size_t size) {
    if (offset > size || count > size - offset) {
        throw InvalidArgument(std::string(op) + ": " + std::to_string(count) + " floats at " +
                              std::to_string(offset) + " lie outside the " + std::to_string(size) +
                              " floats of the memory");
    }
}
int64_t product(const Shape &shape) {
    int64_t n = 1;
    for (int64_t e : shape) {
        n *= e;
    }
    return n;
}
}  // namespace

TensorView DeviceMemory::view(const Shape &shape, int64_t offset) const {
    check_range("gomhc::DeviceMemory::view", size_t(offset), size_t(product(shape)), count_);
    return view_at({device_, data_, offset}, shape);
}

TokenView DeviceMemory::ids(const Shape &shape, int64_t offset) const {
    check_range("gomhc::DeviceMemory::ids", size_t(offset), size_t(product(shape)), count_);
    const auto *ids = reinterpret_cast<const int32_t *>(data_);
    switch (device_) {
        case Device::host:
            return TokenView::host(ids + offset, shape);
        case Device::cuda:
            return TokenView::cuda(ids + offset, shape);
        case Device::opencl:
            break;
    }
    return TokenView::opencl(data_, shape, offset);
}

void DeviceMemory::upload(const float *host, size_t count, size_t offset) {
    check_range("gomhc::DeviceMemory::upload", offset, count, count_);
    wait_for_kernels(device_);  // a queued kernel may still read the old contents
    device_upload({device_, data_, int64_t(offset)}, host, count * sizeof(float));
}

void DeviceMemory::upload_ids(const int32_t *host, size_t count, size_t offset) {
    check_range("gomhc::DeviceMemory::upload_ids", offset, count, count_);
    wait_for_kernels(device_);
    device_upload({device_, data_, int64_t(offset)}, host, count * sizeof(int32_t));
}

void DeviceMemory::download(float *host, size_t count, size_t offset) const {
    check_range("gomhc::DeviceMemory::download", offset, count, count_);
    wait_for_kernels(device_);
    device_download(host, {device_, data_, int64_t(offset)}, count * sizeof(float));
}

void DeviceMemory::fill(float value) { device_fill({device_, data_, 0}, count_, value); }

}  // namespace gomhc
