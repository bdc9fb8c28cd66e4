// The op catalog (gomhc/ops.hpp): the ops' files register their
// descriptions at load; lookups and the generic call are here.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {
namespace {
std::vector<const OpInfo *> &registered() {
    static std::vector<const OpInfo *> ops;
    return ops;
}
}  // namespace

OpRegistration::OpRegistration(const OpInfo &info) { registered().push_back(&info); }

std::vector<const OpInfo *> op_catalog() {
    std::vector<const OpInfo *> ops = registered();
    std::sort(ops.begin(), ops.end(),
              [](const OpInfo *a, const OpInfo *b) { return std::strcmp(a->name, b->name) < 0; });
    return ops;
}

const OpInfo &op_info(const std::string &name) {
    std::string names;
    for (const OpInfo *op : op_catalog()) {
        if (name == op->name) {
            return *op;
        }
        names += std::string(names.empty() ? "" : ", ") + op->name;
    }
    throw InvalidArgument("unknown op '" + name + "'; the ops are: " + names);
}

OpData::OpData(std::vector<OpTensor> tensors, std::vector<void *> data, Device device,
               std::vector<int64_t> offsets)
    : tensors_(std::move(tensors)),
      data_(std::move(data)),
      device_(device),
      offsets_(std::move(offsets)) {}

TensorView OpData::tensor(size_t i) const {
    return detail::view_at({device_, static_cast<float *>(data_.at(i)), offset(i)},
                           tensors_.at(i).shape);
}

TokenView OpData::ids(size_t i) const {
    const auto *ids = static_cast<const int32_t *>(data_.at(i));
    switch (device_) {
        case Device::cuda:
            return TokenView::cuda(ids + offset(i), tensors_.at(i).shape);
        case Device::opencl:
            return TokenView::opencl(ids, tensors_.at(i).shape, offset(i));
        case Device::host:
            break;
    }
    return TokenView::host(ids + offset(i), tensors_.at(i).shape);
}

void run_op(const std::string &name, const std::vector<double> &sizes,
            const std::vector<void *> &data, Device device, const std::vector<int64_t> &offsets) {
    const OpInfo &op = op_info(name);
    const std::string where = "gomhc::run_op(" + name + ")";
    if (sizes.size() != op.sizes.size()) {
        std::string expected;
        for (const char *size : op.sizes) {
            expected += std::string(expected.empty() ? "" : ", ") + size;
        }
        throw InvalidArgument(where + ": " + std::to_string(sizes.size()) +
                              " sizes given, expected " + std::to_string(op.sizes.size()) + " (" +
                              expected + ")");
    }
    for (size_t i = 0; i < sizes.size(); i++) {
        if (!std::isfinite(sizes[i])) {
            throw InvalidArgument(where + ": size '" + op.sizes[i] + "' is not finite");
        }
    }
    std::vector<OpTensor> tensors = op.tensors(sizes);
    if (data.size() != tensors.size()) {
        throw InvalidArgument(where + ": " + std::to_string(data.size()) +
                              " tensors given, expected " + std::to_string(tensors.size()));
    }
    if (!offsets.empty() && offsets.size() != tensors.size()) {
        throw InvalidArgument(where + ": " + std::to_string(offsets.size()) +
                              " offsets given, expected " + std::to_string(tensors.size()));
    }
    for (size_t i = 0; i < data.size(); i++) {
        if (data[i] == nullptr) {
            throw InvalidArgument(where + ": '" + tensors[i].name + "' is a null pointer");
        }
        if (!offsets.empty() && offsets[i] < 0) {
            throw InvalidArgument(where + ": '" + tensors[i].name + "' has offset " +
                                  std::to_string(offsets[i]) + ", expected 0 or more");
        }
    }
    op.run(sizes, OpData(std::move(tensors), data, device, offsets));
}

namespace detail {

int64_t op_size(const char *op, const std::vector<double> &sizes, size_t i, const char *name) {
    const double value = sizes.at(i);
    if (!(value == std::floor(value)) || std::fabs(value) > 0x1p62) {
        throw InvalidArgument(std::string(op) + ": size '" + name + "' = " + std::to_string(value) +
                              ", expected a whole number");
    }
    return int64_t(value);
}

int op_int_size(const char *op, const std::vector<double> &sizes, size_t i, const char *name) {
    const int64_t value = op_size(op, sizes, i, name);
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
        throw InvalidArgument(std::string(op) + ": size '" + name + "' = " + std::to_string(value) +
                              " is out of range");
    }
    return int(value);
}

}  // namespace detail
}  // namespace gomhc
