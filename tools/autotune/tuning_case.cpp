#include "tuning_case.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "generator_io.h"
#include "kernel_variant.h"

namespace gomhc::autotune {
namespace {

using Halide::Buffer;

int64_t element_count(const gomhc::Shape &shape) {
    int64_t count = 1;
    for (int64_t extent : shape) {
        count *= extent;
    }
    return count;
}

// A buffer of the tensor's row-major shape [T][...] (token ids: int32).
Buffer<> make_buffer(const gomhc::OpTensor &tensor) {
    std::vector<int> halide_shape(tensor.shape.size());
    std::transform(tensor.shape.begin(), tensor.shape.end(), halide_shape.rbegin(),
                   [](int64_t extent) { return int(extent); });
    if (tensor.ids_below > 0) {
        return Buffer<int32_t>(halide_shape);
    }
    return Buffer<float>(halide_shape);
}

Buffer<> to_buffer(const gomhc::OpTensor &tensor, const ref::Vec &values) {
    Buffer<> b = make_buffer(tensor);
    if (tensor.ids_below > 0) {
        std::transform(values.begin(), values.end(), static_cast<int32_t *>(b.data()),
                       [](double v) { return int32_t(v); });
    } else {
        std::transform(values.begin(), values.end(), static_cast<float *>(b.data()),
                       [](double v) { return float(v); });
    }
    return b;
}

// Entries [first, first + count) along the leading extent of a row-major
// float32 buffer.
ref::Vec leading_slice(const Buffer<> &b, int64_t first, int64_t count) {
    const int64_t per_row = int64_t(b.number_of_elements()) / b.dim(b.dimensions() - 1).extent();
    const float *data = reinterpret_cast<const float *>(b.data());
    return ref::Vec(data + first * per_row, data + (first + count) * per_row);
}

ref::Vec whole(const Buffer<> &b) {
    return leading_slice(b, 0, b.dim(b.dimensions() - 1).extent());
}

// The sizes by name, with n = d*s where the op has d and s (the registry's
// n, and the Cayley generator's n_runtime).
std::map<std::string, int64_t> named_sizes(const ref::OpDescription &op, const ref::Sizes &sizes) {
    std::map<std::string, int64_t> named;
    for (size_t i = 0; i < op.sizes.size(); i++) {
        named[op.sizes[i]] = int64_t(sizes.at(i));
    }
    if (named.count("d") && named.count("s")) {
        named["n"] = named["d"] * named["s"];
    }
    return named;
}

}  // namespace

std::vector<TuningShape> tuning_shapes(const std::string &op) {
    const ref::OpDescription description = ref::describe_op(op);
    if (description.reference == nullptr || description.reference->tuning.empty()) {
        throw std::invalid_argument("op '" + op +
                                    "' has no tuning sizes (its float64 side in reference/ops/)");
    }
    std::vector<TuningShape> shapes;
    for (const ref::TuningSizes &tuning : description.reference->tuning) {
        KernelChoice kernel =
            choose_kernel(op, named_sizes(description, tuning.sizes), tuning.variant);
        shapes.push_back({op, kernel.variant, tuning.sizes, std::move(kernel.params)});
    }
    return shapes;
}

TuningCase::TuningCase(const TuningShape &shape)
    : shape_(shape), op_(ref::describe_op(shape.op)), tensors_(op_.tensors(shape.sizes)) {
    if (op_.reference == nullptr) {
        throw std::invalid_argument("op '" + shape.op + "' has no float64 reference to check it");
    }
    per_token_ = ref::per_token(op_, shape_.sizes);
    std::mt19937_64 rng(0x9e3779b97f4a7c15ull);
    values_ = ref::make_inputs(op_, shape_.sizes, rng);
    size_t next_input = 0;
    bool sums_over_tokens = false;
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    for (size_t i = 0; i < tensors_.size(); i++) {
        const gomhc::OpTensor &t = tensors_[i];
        if (!t.output) {
            inputs_.push_back(to_buffer(t, values_[next_input++]));
            continue;
        }
        // An output the kernel adds into starts from values of its own, as a
        // trainer's accumulated gradient does (which changes what a schedule
        // costs). A candidate's first run (the checked one) adds to them; it
        // runs in a child process, so they stay as they are for the next one.
        ref::Vec initial;
        if (t.adds) {
            initial.resize(size_t(element_count(t.shape)));
            std::generate(initial.begin(), initial.end(), [&] { return unit(rng); });
            initial = ref::round_to_float(initial);
        }
        outputs_.push_back(t.adds ? to_buffer(t, initial) : make_buffer(t));
        initial_.push_back(std::move(initial));
        sums_over_tokens = sums_over_tokens || !per_token_[i];
    }
    if (sums_over_tokens) {
        expected_ = op_.reference->run(shape_.sizes, values_);
        for (size_t o = 0; o < expected_.size(); o++) {
            for (size_t i = 0; i < initial_[o].size(); i++) {
                expected_[o][i] += initial_[o][i];
            }
        }
    }
}

int64_t TuningCase::tokens() const { return named_sizes(op_, shape_.sizes).at("tokens"); }

std::vector<TuningCase> TuningCase::edge_cases() const {
    std::vector<TuningCase> edges;
    for (double edge : {1.0, 37.0}) {
        TuningShape shape = shape_;
        shape.sizes = ref::with_size(op_, shape.sizes, "tokens", edge);
        shape.sizes = ref::with_size(op_, shape.sizes, "C", edge);
        edges.emplace_back(shape);
    }
    return edges;
}

std::string TuningCase::shape() const {
    std::string text;
    for (size_t i = 0; i < op_.sizes.size(); i++) {
        const std::string name = op_.sizes[i];
        text += (text.empty() ? "" : " ") + (name == "tokens" ? "T" : name) + "=" +
                std::to_string(int64_t(shape_.sizes[i]));
    }
    return text;
}

void TuningCase::bind_inputs(Halide::Internal::GeneratorBase &g) const {
    const GeneratorIo io = generator_io(g);
    const std::map<std::string, int64_t> sizes = named_sizes(op_, shape_.sizes);
    auto buffer_named = [&](const std::string &name) -> const Buffer<> * {
        size_t input = 0, output = 0;
        for (const gomhc::OpTensor &t : tensors_) {
            if (!t.output && name == t.name) {
                return &inputs_[input];
            }
            if (t.output && t.adds && name == std::string(t.name) + "_in") {
                return &outputs_[output];
            }
            (t.output ? output : input)++;
        }
        return nullptr;
    };
    std::vector<GeneratorValue> values;
    for (const GeneratorIo::Input &input : io.inputs) {
        if (input.scalar) {
            const std::string size = input.name.substr(0, input.name.rfind("_runtime"));
            if (sizes.count(size)) {
                values.emplace_back(int32_t(sizes.at(size)));
                continue;
            }
        } else if (const Buffer<> *buffer = buffer_named(input.name)) {
            values.emplace_back(*buffer);
            continue;
        }
        throw std::invalid_argument(op() + ": the generator's input '" + input.name +
                                    "' is neither a tensor nor a size of its description");
    }
    std::vector<std::string> outputs;
    for (const gomhc::OpTensor &t : tensors_) {
        if (t.output) {
            outputs.push_back(t.name);
        }
    }
    if (io.outputs != outputs) {
        throw std::invalid_argument(op() + ": the generator's outputs are not its description's");
    }
    set_generator_inputs(g, values);
}

ref::Vec TuningCase::reference(int64_t first, int64_t count, size_t output) const {
    std::vector<ref::Vec> in;
    size_t next_input = 0;
    for (size_t i = 0; i < tensors_.size(); i++) {
        if (tensors_[i].output) {
            continue;
        }
        const ref::Vec &values = values_[next_input++];
        if (per_token_[i]) {
            const int64_t per_token = int64_t(values.size()) / tokens();
            in.emplace_back(values.begin() + first * per_token,
                            values.begin() + (first + count) * per_token);
        } else {
            in.push_back(values);
        }
    }
    const ref::Sizes sizes = ref::with_size(op_, shape_.sizes, "tokens", double(count));
    ref::Vec out = op_.reference->run(sizes, in).at(output);
    const ref::Vec &initial = initial_[output];
    if (!initial.empty()) {
        const int64_t per_token = int64_t(initial.size()) / tokens();
        for (size_t i = 0; i < out.size(); i++) {
            out[i] += initial[size_t(first * per_token) + i];
        }
    }
    return out;
}

std::string TuningCase::check_outputs() const {
    // The largest |got - expected| (infinite where got is not finite) and
    // the largest |expected|, which scales the tolerance.
    auto difference = [](const ref::Vec &got, const ref::Vec &expected) {
        double scale = 1e-30, worst = 0;
        for (size_t i = 0; i < got.size(); i++) {
            scale = std::max(scale, std::abs(expected[i]));
            worst =
                std::max(worst, std::isfinite(got[i]) ? std::abs(got[i] - expected[i]) : INFINITY);
        }
        return std::pair{worst, scale};
    };
    auto describe = [](size_t output, double worst, double scale) {
        char text[128];
        std::snprintf(text, sizeof text,
                      "output %zu differs from the reference by %.3g (largest entry %.3g)", output,
                      worst, scale);
        return std::string(text);
    };
    const double relative_tolerance = 1e-4;
    if (!expected_.empty()) {  // sums over all tokens: compare everything
        for (size_t o = 0; o < outputs_.size(); o++) {
            const auto [worst, scale] = difference(whole(outputs_[o]), expected_[o]);
            if (!(worst <= relative_tolerance * scale)) {
                return describe(o, worst, scale);
            }
        }
        return "";
    }
    // The first and last tokens cover the edges of every tiling; checking
    // them (not all T) keeps a candidate's check cheaper than its timing.
    const int64_t sample = std::min<int64_t>(tokens(), 64);
    for (int64_t first : {int64_t(0), tokens() - sample}) {
        for (size_t o = 0; o < outputs_.size(); o++) {
            const auto [worst, scale] =
                difference(leading_slice(outputs_[o], first, sample), reference(first, sample, o));
            if (!(worst <= relative_tolerance * scale)) {
                return describe(o, worst, scale) + " at tokens " + std::to_string(first) + "..";
            }
        }
    }
    return "";
}

}  // namespace gomhc::autotune
