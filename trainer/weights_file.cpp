#include "weights_file.h"

#include <algorithm>

#include "checkpoint.h"

namespace gomhc::trainer {

namespace {

std::string shape_text(const std::vector<int64_t> &shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); i++) {
        text += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return text + "]";
}

}  // namespace

std::vector<float> weights_from_file(const std::string &bytes,
                                     const std::vector<ParamTensor> &layout, int64_t num_params,
                                     const std::string &where) {
    const Safetensors file = parse_safetensors(bytes, where);
    std::vector<float> host(static_cast<size_t>(num_params));
    for (const ParamTensor &t : layout) {
        const auto it = file.tensors.find(t.name);
        if (it == file.tensors.end()) {
            throw CheckpointError(where + ": no tensor " + t.name +
                                  " (a checkpoint of another model configuration?)");
        }
        if (it->second.shape != t.shape) {
            throw CheckpointError(where + ": tensor " + t.name + " has shape " +
                                  shape_text(it->second.shape) + ", this model's is " +
                                  shape_text(t.shape) +
                                  " (a checkpoint of another model configuration?)");
        }
        check_finite(t.name, it->second.data.data(), it->second.data.size(), where);
        std::copy(it->second.data.begin(), it->second.data.end(), host.begin() + t.offset);
    }
    return host;
}

Moments moments_from_file(const std::string &bytes, int64_t n, const std::string &where) {
    const Safetensors file = parse_safetensors(bytes, where);
    Moments out;
    for (const char *name : {"exp_avg", "exp_avg_sq"}) {
        const auto it = file.tensors.find(name);
        if (it == file.tensors.end() || it->second.shape != std::vector<int64_t>{n}) {
            throw CheckpointError(where + ": no tensor " + name + " of " + std::to_string(n) +
                                  " floats (a checkpoint of another model configuration?)");
        }
        const std::vector<float> &values = it->second.data;
        check_finite(name, values.data(), values.size(), where);
        (std::string(name) == "exp_avg" ? out.first : out.second) = values;
    }
    const auto negative =
        std::find_if(out.second.begin(), out.second.end(), [](float v) { return v < 0; });
    if (negative != out.second.end()) {
        throw CheckpointError(where + ": tensor exp_avg_sq holds " + std::to_string(*negative) +
                              " at element " + std::to_string(negative - out.second.begin()) +
                              " (a second moment is never negative)");
    }
    return out;
}

}  // namespace gomhc::trainer
