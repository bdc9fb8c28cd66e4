// A float or int32 array the trainer owns, in host or CUDA memory (through
// gomhc's CUDA memory calls, so the trainer needs no CUDA runtime of its own).
#pragma once

#include <cstring>
#include <gomhc/gomhc.hpp>
#include <vector>

namespace gomhc::trainer {

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(Device device, size_t count) : device_(device), count_(count) {
        if (device == Device::cuda) {
            cuda_ = gomhc::cuda_malloc(count);
        } else {
            host_.assign(count, 0.0f);
        }
    }
    ~DeviceBuffer() { gomhc::cuda_free(cuda_); }
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
    DeviceBuffer &operator=(DeviceBuffer &&other) noexcept {
        if (this != &other) {
            gomhc::cuda_free(cuda_);
            device_ = other.device_;
            count_ = other.count_;
            host_ = std::move(other.host_);
            cuda_ = other.cuda_;
            other.cuda_ = nullptr;
            other.count_ = 0;
        }
        return *this;
    }

    float *data() { return device_ == Device::cuda ? cuda_ : host_.data(); }
    const float *data() const { return const_cast<DeviceBuffer *>(this)->data(); }
    // The same memory as int32 (token ids): both are 4 bytes.
    int32_t *ids() { return reinterpret_cast<int32_t *>(data()); }
    size_t count() const { return count_; }
    Device device() const { return device_; }

    TensorView view(const Shape &shape, size_t offset = 0) {
        return device_ == Device::cuda ? TensorView::cuda(data() + offset, shape)
                                       : TensorView::host(data() + offset, shape);
    }
    TokenView id_view(const Shape &shape) {
        return device_ == Device::cuda ? TokenView::cuda(ids(), shape)
                                       : TokenView::host(ids(), shape);
    }

    void upload(const float *host, size_t count, size_t offset = 0) {
        if (device_ == Device::cuda) {
            gomhc::cuda_upload(data() + offset, host, count);
        } else {
            std::memcpy(data() + offset, host, count * sizeof(float));
        }
    }
    void upload_ids(const int32_t *host, size_t count) {
        upload(reinterpret_cast<const float *>(host), count);
    }
    void download(float *host, size_t count, size_t offset = 0) const {
        if (device_ == Device::cuda) {
            gomhc::cuda_download(host, data() + offset, count);
        } else {
            std::memcpy(host, data() + offset, count * sizeof(float));
        }
    }

private:
    Device device_ = Device::host;
    size_t count_ = 0;
    std::vector<float> host_;
    float *cuda_ = nullptr;
};

}  // namespace gomhc::trainer
