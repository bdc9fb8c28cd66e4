// A float array owned by the runtime, in host or CUDA memory: the layer's
// parameters, gradients and saved activations, and the mixers' workspaces.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
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
            capacity_ = other.capacity_;
            host_ = std::move(other.host_);
            cuda_ = other.cuda_;
            borrowed_ = other.borrowed_;
            other.cuda_ = nullptr;
            other.borrowed_ = nullptr;
            other.count_ = other.capacity_ = 0;
        }
        return *this;
    }

    // Makes room for `count` floats (contents undefined). The memory only
    // grows: a smaller count after a larger one reuses it, so a layer called
    // with alternating token counts allocates once, for the largest.
    void reset(Device device, size_t count) {
        if (borrowed_ && device == device_ && count == count_) {
            return;
        }
        if (borrowed_ || device != device_) {
            release();
            device_ = device;
        }
        if (count > capacity_) {
            release();
            if (device == Device::host) {
                host_.reset(new float[count]);
            } else {
                cuda_ = cuda_alloc(count);
            }
            capacity_ = count;
        }
        count_ = count;
    }

    // Uses `count` floats of the caller's memory (on `device`) from now on;
    // the caller keeps it alive. The current contents are copied there first
    // when the sizes match.
    void borrow(Device device, float *memory, size_t count) {
        if (device == device_ && count == count_ && count > 0 && memory != data()) {
            if (device == Device::host) {
                std::memmove(memory, data(), count * sizeof(float));
            } else {
                cuda_copy_rows(memory, count, data(), count, count, 1);
            }
        }
        release();
        device_ = device;
        count_ = capacity_ = count;
        borrowed_ = memory;
    }

    void fill(float value) {
        if (count_ == 0) {
            return;
        }
        if (device_ == Device::host) {
            std::fill(data(), data() + count_, value);
        } else {
            cuda_fill(data(), count_, value);
        }
    }

    // Copies count() floats from host memory.
    void upload(const float *host_data) {
        if (count_ == 0) {
            return;
        }
        if (device_ == Device::host) {
            std::copy(host_data, host_data + count_, data());
        } else {
            cuda_copy_to_device(data(), host_data, count_);
        }
    }

    float *data() { return borrowed_ ? borrowed_ : device_ == Device::host ? host_.get() : cuda_; }
    const float *data() const { return const_cast<DeviceArray *>(this)->data(); }
    size_t count() const { return count_; }
    Device device() const { return device_; }
    bool borrowed() const { return borrowed_ != nullptr; }

    // A view of the first product(shape) floats (offset floats in).
    TensorView view(const Shape &shape, size_t offset = 0) {
        float *base = data() + offset;
        return device_ == Device::host ? TensorView::host(base, shape)
                                       : TensorView::cuda(base, shape);
    }

private:
    void release() {
        if (cuda_) {
            cuda_free(cuda_);
            cuda_ = nullptr;
        }
        host_.reset();
        borrowed_ = nullptr;
        count_ = capacity_ = 0;
    }

    Device device_ = Device::host;
    size_t count_ = 0, capacity_ = 0;
    std::unique_ptr<float[]> host_;
    float *cuda_ = nullptr;
    float *borrowed_ = nullptr;  // the caller's memory, when bound to it
};

// A view of the same memory as `view` with another shape (same size).
inline TensorView reshaped(const TensorView &view, const Shape &shape) {
    return view.device() == Device::host ? TensorView::host(view.data(), shape)
                                         : TensorView::cuda(view.data(), shape);
}

}  // namespace gomhc::detail
