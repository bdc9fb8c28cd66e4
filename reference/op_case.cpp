// Describing an op by name and making inputs for it (op_case.h).
#include "op_case.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace gomhc::reference {

OpDescription describe_op(const std::string &name) {
    OpDescription op;
    op.name = name;
    op.reference = find_op_reference(name);
    for (const OpInfo *info : op_catalog()) {
        if (name == info->name) {
            op.sizes = info->sizes;
            op.tensors = info->tensors;
            op.forward_of = info->forward_of;
            return op;
        }
    }
    if (op.reference == nullptr || op.reference->tensors == nullptr) {
        throw std::invalid_argument(
            "unknown op '" + name +
            "': neither the op catalog nor a float64 reference describes it");
    }
    op.sizes = op.reference->sizes;
    op.tensors = op.reference->tensors;
    op.forward_of = op.reference->forward_of;
    return op;
}

namespace {

std::pair<double, double> input_range(const OpDescription &op, const char *name) {
    if (op.reference != nullptr) {
        for (const InputRange &range : op.reference->input_ranges) {
            if (std::string(range.name) == name) {
                return {range.lo, range.hi};
            }
        }
    }
    return {-1.0, 1.0};
}

Vec random_values(const OpTensor &t, std::pair<double, double> range, std::mt19937_64 &rng) {
    int64_t count = 1;
    for (int64_t extent : t.shape) {
        count *= extent;
    }
    Vec values(static_cast<size_t>(count));
    if (t.ids_below > 0) {
        std::uniform_int_distribution<int64_t> id(0, t.ids_below - 1);
        std::generate(values.begin(), values.end(), [&] { return double(id(rng)); });
        return values;
    }
    std::uniform_real_distribution<double> u(range.first, range.second);
    std::generate(values.begin(), values.end(), [&] { return u(rng); });
    return round_to_float(values);
}

}  // namespace

std::vector<Vec> make_inputs(const OpDescription &op, const Sizes &sizes, std::mt19937_64 &rng) {
    // What the forward computes, by name: its inputs and, given its
    // reference, its outputs.
    std::map<std::string, Vec> from_forward;
    if (!op.forward_of.empty()) {
        const OpDescription forward = describe_op(op.forward_of);
        const Sizes forward_sizes(sizes.begin(), sizes.begin() + long(forward.sizes.size()));
        const std::vector<Vec> inputs = make_inputs(forward, forward_sizes, rng);
        std::vector<Vec> outputs;
        if (forward.reference != nullptr) {
            outputs = forward.reference->run(forward_sizes, inputs);
        }
        size_t next_input = 0, next_output = 0;
        for (const OpTensor &t : forward.tensors(forward_sizes)) {
            if (!t.output) {
                from_forward[t.name] = inputs[next_input++];
            } else if (next_output < outputs.size()) {
                from_forward[t.name] = round_to_float(outputs[next_output++]);
            }
        }
    }
    std::vector<Vec> inputs;
    for (const OpTensor &t : op.tensors(sizes)) {
        if (t.output) {
            continue;
        }
        const auto made = from_forward.find(t.name);
        inputs.push_back(made != from_forward.end()
                             ? made->second
                             : random_values(t, input_range(op, t.name), rng));
    }
    return inputs;
}

Sizes with_size(const OpDescription &op, Sizes sizes, const std::string &name, double value) {
    for (size_t i = 0; i < op.sizes.size(); i++) {
        if (name == op.sizes[i]) {
            sizes.at(i) = value;
        }
    }
    return sizes;
}

std::vector<bool> per_token(const OpDescription &op, const Sizes &sizes) {
    const std::vector<OpTensor> at = op.tensors(sizes);
    const auto tokens = std::find_if(op.sizes.begin(), op.sizes.end(),
                                     [](const char *s) { return std::string(s) == "tokens"; });
    if (tokens == op.sizes.end()) {
        return std::vector<bool>(at.size(), false);
    }
    const double more = sizes.at(size_t(tokens - op.sizes.begin())) + 1;
    const std::vector<OpTensor> at_more = op.tensors(with_size(op, sizes, "tokens", more));
    std::vector<bool> grows;
    for (size_t i = 0; i < at.size(); i++) {
        grows.push_back(at[i].shape != at_more[i].shape);
    }
    return grows;
}

}  // namespace gomhc::reference
