// A float array owned by the runtime, in host or device memory: the layer's
// parameters, gradients and saved activations, and the mixers' workspaces.
// It may instead borrow the caller's memory (a layer bound into a model's
// parameter block).
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "device.h"
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
            device_memory_ = other.device_memory_;
            borrowed_ = other.borrowed_;
            other.device_memory_ = nullptr;
            other.borrowed_.reset();
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
                device_memory_ = device_alloc(device, count);
            }
            capacity_ = count;
        }
        count_ = count;
    }

    // Uses `count` floats of the caller's memory at `memory` from now on; the
    // caller keeps it alive. The current contents are copied there first
    // when the sizes match.
    void borrow(const DeviceAddress &memory, size_t count) {
        if (memory.device == device_ && count == count_ && count > 0) {
            device_copy_rows(memory, count, address(), count, count, 1);
        }
        release();
        device_ = memory.device;
        count_ = capacity_ = count;
        borrowed_ = memory;
    }

    void fill(float value) { device_fill(address(), count_, value); }

    // Copies count() floats from host memory.
    void upload(const float *host_data) {
        device_upload(address(), host_data, count_ * sizeof(float));
    }

    // The start: a host or CUDA address, or an OpenCL cl_mem and an offset.
    DeviceAddress address() const {
        if (borrowed_) {
            return *borrowed_;
        }
        return {device_, device_ == Device::host ? host_.get() : device_memory_, 0};
    }
    // The address of the first float (host and CUDA only).
    float *data() {
        const DeviceAddress at = address();
        return at.device == Device::opencl ? at.base : at.base + at.offset;
    }
    size_t count() const { return count_; }
    Device device() const { return device_; }
    bool borrowed() const { return borrowed_.has_value(); }

    // A view of the first product(shape) floats (offset floats in).
    TensorView view(const Shape &shape, size_t offset = 0) const {
        return view_at(address() + int64_t(offset), shape);
    }

private:
    void release() {
        if (device_memory_) {
            device_free(device_, device_memory_);
            device_memory_ = nullptr;
        }
        host_.reset();
        borrowed_.reset();
        count_ = capacity_ = 0;
    }

    Device device_ = Device::host;
    size_t count_ = 0, capacity_ = 0;
    std::unique_ptr<float[]> host_;
    float *device_memory_ = nullptr;         // CUDA address or cl_mem
    std::optional<DeviceAddress> borrowed_;  // the caller's memory, when bound to it
};

// A view of the same memory as `view` with another shape (same size).
inline TensorView reshaped(const TensorView &view, const Shape &shape) {
    return view_at(address_of(view), shape);
}

}  // namespace gomhc::detail
