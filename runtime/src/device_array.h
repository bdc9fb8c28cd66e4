// A float array owned by the runtime, in host or CUDA memory: the layer's
// parameters, gradients and saved activations, and the mixers' workspaces.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "cuda_driver.h"
#include "gomhc/gomhc.hpp"

namespace gomhc::detail {

class DeviceArray {
public:
    DeviceArray() = default;
    DeviceArray(Device device, size_t count) { reset(device, count); }
    ~DeviceArray() { release(); }
    DeviceArray(const DeviceArray &) = delete;
    DeviceArray &operator=(const DeviceArray &) = delete;
    DeviceArray(DeviceArray &&other) noexcept { *this = std::move(other); }
    DeviceArray &operator=(DeviceArray &&other) noexcept {
        if (this != &other) {
            release();
            device_ = other.device_;
            count_ = other.count_;
            host_ = std::move(other.host_);
            cuda_ = other.cuda_;
            other.cuda_ = nullptr;
            other.count_ = 0;
        }
        return *this;
    }

    // Reallocates (contents undefined) unless the device and size match.
    void reset(Device device, size_t count) {
        if (device == device_ && count == count_ && (data() || count == 0)) {
            return;
        }
        release();
        device_ = device;
        count_ = count;
        if (device == Device::host) {
            host_.assign(count, 0.0f);
        } else {
            cuda_ = cuda_alloc(count);
        }
    }

    void fill(float value) {
        if (device_ == Device::host) {
            std::fill(host_.begin(), host_.end(), value);
        } else if (count_ > 0) {
            cuda_fill(cuda_, count_, value);
        }
    }

    // Copies count() floats from host memory.
    void upload(const float *host_data) {
        if (device_ == Device::host) {
            std::copy(host_data, host_data + count_, host_.begin());
        } else if (count_ > 0) {
            cuda_copy_to_device(cuda_, host_data, count_);
        }
    }

    float *data() { return device_ == Device::host ? host_.data() : cuda_; }
    const float *data() const { return device_ == Device::host ? host_.data() : cuda_; }
    size_t count() const { return count_; }
    Device device() const { return device_; }

    // A view of the first product(shape) floats (offset floats in).
    TensorView view(std::vector<int64_t> shape, size_t offset = 0) {
        float *base = data() + offset;
        return device_ == Device::host ? TensorView::host(base, std::move(shape))
                                       : TensorView::cuda(base, std::move(shape));
    }

private:
    void release() {
        if (cuda_) {
            cuda_free(cuda_);
            cuda_ = nullptr;
        }
        host_.clear();
        host_.shrink_to_fit();
        count_ = 0;
    }

    Device device_ = Device::host;
    size_t count_ = 0;
    std::vector<float> host_;
    float *cuda_ = nullptr;
};

// A view of the same memory as `view` with another shape (same size).
inline TensorView reshaped(const TensorView &view, std::vector<int64_t> shape) {
    return view.device() == Device::host ? TensorView::host(view.data(), std::move(shape))
                                         : TensorView::cuda(view.data(), std::move(shape));
}

}  // namespace gomhc::detail
