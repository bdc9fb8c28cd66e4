// Shared helpers for the kernel suites: run a gomhc kernel on float64 test data
// (already rounded to float32) and bring its output back as float64, on host
// memory or, through a different Backend, on CUDA device memory.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <gomhc/gomhc.hpp>
#include <gomhc/ops.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gomhc_reference.h"
#include "text_match.h"

namespace gomhc_test {

namespace ref = gomhc::reference;
using ref::Vec;
using Shape = std::vector<int64_t>;

struct DS {
    int d;
    int s;
};

// The shapes the build specialises (d in {2,4,8,16}, s in {1..4}, n <= 32).
inline std::vector<DS> specialised_test_shapes() {
    std::vector<DS> out;
    for (int d : {2, 4, 8, 16}) {
        for (int s : {1, 2, 3, 4}) {
            if (d * s <= 32) {
                out.push_back({d, s});
            }
        }
    }
    return out;
}

// Shapes served by the generic kernels: odd d and s, and n up to 64.
inline std::vector<DS> generic_test_shapes() {
    return {{3, 1}, {5, 2}, {3, 3}, {6, 5}, {7, 9}, {32, 2}};
}

inline std::vector<DS> all_test_shapes() {
    std::vector<DS> out = specialised_test_shapes();
    for (DS ds : generic_test_shapes()) {
        out.push_back(ds);
    }
    return out;
}

inline int64_t pair_count(int d, int s) { return ref::pair_count(d * s); }

// Where kernel inputs and outputs live. Outputs start as NaN so an entry the
// kernel forgot to write shows up as an error in every comparison.
class Backend {
public:
    virtual ~Backend() = default;
    virtual gomhc::TensorView input(const Vec &values, Shape shape) = 0;
    virtual gomhc::TensorView output(Shape shape) = 0;
    virtual Vec download(const gomhc::TensorView &view) = 0;
    // Token ids in the backend's memory (the float buffers' 4-byte slots).
    virtual gomhc::TokenView tokens(const std::vector<int32_t> &ids, Shape shape) = 0;
    virtual std::string name() const = 0;
    virtual gomhc::Device device() const = 0;
};

inline int64_t element_count(const Shape &shape) {
    int64_t n = 1;
    for (int64_t e : shape) {
        n *= e;
    }
    return n;
}

class HostBackend : public Backend {
public:
    gomhc::TensorView input(const Vec &values, Shape shape) override {
        REQUIRE(int64_t(values.size()) == element_count(shape));
        // A zero-size tensor (params when n = 1) still gets a valid pointer.
        storage_.emplace_back(values.empty() ? 1 : values.size(), 0.0f);
        std::copy(values.begin(), values.end(), storage_.back().begin());
        const float *data = storage_.back().data();
        return gomhc::TensorView::host(data, std::move(shape));
    }
    gomhc::TensorView output(Shape shape) override {
        const int64_t count = element_count(shape);
        storage_.emplace_back(count == 0 ? 1 : size_t(count),
                              std::numeric_limits<float>::quiet_NaN());
        return gomhc::TensorView::host(storage_.back().data(), std::move(shape));
    }
    Vec download(const gomhc::TensorView &view) override {
        return Vec(view.data(), view.data() + view.size());
    }
    gomhc::TokenView tokens(const std::vector<int32_t> &ids, Shape shape) override {
        REQUIRE(int64_t(ids.size()) == element_count(shape));
        id_storage_.push_back(ids);
        return gomhc::TokenView::host(id_storage_.back().data(), std::move(shape));
    }
    std::string name() const override { return "host"; }
    gomhc::Device device() const override { return gomhc::Device::host; }

private:
    // A deque never moves its elements, so the views stay valid.
    std::deque<std::vector<float>> storage_;
    std::deque<std::vector<int32_t>> id_storage_;
};

// ---------------------------------------------------------------------------
// Any op of the catalog (gomhc/ops.hpp) with float64 in and out. Inputs must
// already be representable in float32 (use ref::round_to_float) so kernel and
// reference see the same numbers.

// The sizes of a call, in the order the op's catalog entry names them.
using Sizes = std::vector<double>;

template<class... Size>
Sizes sizes_of(Size... size) {
    return {double(size)...};
}

inline std::string sizes_text(const Sizes &sizes) {
    std::string text;
    for (double s : sizes) {
        text += (text.empty() ? "" : ", ") + std::to_string(s);
    }
    return text;
}

// Runs catalog op `op` at `sizes` on `b`. `inputs` are its input tensors in
// catalog order (token ids as whole numbers); outputs start as NaN, or as 0
// where the op adds into them. Returns the outputs in catalog order.
inline std::vector<Vec> run_kernel(Backend &b, const std::string &op, const Sizes &sizes,
                                   const std::vector<Vec> &inputs) {
    const std::vector<gomhc::OpTensor> tensors = gomhc::op_info(op).tensors(sizes);
    std::vector<void *> data;
    std::vector<int64_t> offsets;
    std::vector<gomhc::TensorView> outputs;
    size_t next_input = 0;
    for (const gomhc::OpTensor &t : tensors) {
        if (t.output) {
            outputs.push_back(b.output(t.shape));
            if (t.adds) {
                gomhc::fill(outputs.back(), 0.0f);
            }
            data.push_back(const_cast<float *>(outputs.back().data()));
            offsets.push_back(outputs.back().offset());
            continue;
        }
        REQUIRE_MESSAGE(next_input < inputs.size(),
                        op << ": no values for '" << std::string(t.name) << "'");
        const Vec &values = inputs[next_input++];
        if (t.ids_below > 0) {
            const std::vector<int32_t> ids(values.begin(), values.end());
            const gomhc::TokenView view = b.tokens(ids, t.shape);
            data.push_back(const_cast<int32_t *>(view.data()));
            offsets.push_back(view.offset());
        } else {
            const gomhc::TensorView view = b.input(values, t.shape);
            data.push_back(const_cast<float *>(view.data()));
            offsets.push_back(view.offset());
        }
    }
    REQUIRE_MESSAGE(next_input == inputs.size(), op << ": more inputs given than it takes");
    gomhc::run_op(op, sizes, data, b.device(), offsets);
    std::vector<Vec> out;
    for (const gomhc::TensorView &v : outputs) {
        out.push_back(b.download(v));
    }
    return out;
}

// Random float32-representable test data.
inline Vec normal_f32(ref::Rng &rng, int64_t count, double sigma) {
    return ref::round_to_float(rng.normal_vec(size_t(count), sigma));
}

// count token ids drawn uniformly from [0, vocab).
inline std::vector<int32_t> random_token_ids(ref::Rng &rng, int64_t count, int64_t vocab) {
    std::vector<int32_t> ids(static_cast<size_t>(count));
    for (auto &id : ids) {
        id = std::min(int32_t(rng.uniform(0.0, double(vocab))), int32_t(vocab - 1));
    }
    return ids;
}

// Buffers for the shape-error tests: oversized, so that a missing shape check
// shows up as a failed CHECK rather than as memory corruption.
inline std::vector<float> oversized_buffer(int64_t count) {
    return std::vector<float>(size_t(count) + 4096, 0.0f);
}

// Runs fn; returns the message of the gomhc::Error it threw, or nothing (with
// a doctest MESSAGE saying why) if it threw something else or did not throw.
template<class Fn>
std::optional<std::string> gomhc_error_message(Fn &&fn) {
    try {
        fn();
    } catch (const gomhc::Error &e) {
        MESSAGE("gomhc::Error: " << std::string(e.what()));
        return std::string(e.what());
    } catch (const std::exception &e) {
        MESSAGE("threw something other than gomhc::Error: " << std::string(e.what()));
        return std::nullopt;
    }
    MESSAGE("did not throw");
    return std::nullopt;
}

// Runs fn and reports whether it threw gomhc::Error whose message names every
// one of the given words (the argument name, typically) as a whole token.
template<class Fn>
bool throws_error_naming(Fn &&fn, std::initializer_list<const char *> words) {
    const std::optional<std::string> msg = gomhc_error_message(fn);
    if (!msg) {
        return false;
    }
    for (const char *w : words) {
        if (!names(*msg, w)) {
            MESSAGE("message does not name '" << std::string(w) << "'");
            return false;
        }
    }
    return true;
}

// Like throws_error_naming, but the message needs to name only one of the
// words (for problems that can fairly be described in more than one way).
template<class Fn>
bool throws_error_naming_any(Fn &&fn, std::initializer_list<const char *> words) {
    const std::optional<std::string> msg = gomhc_error_message(fn);
    if (!msg) {
        return false;
    }
    std::string all;
    for (const char *w : words) {
        if (names(*msg, w)) {
            return true;
        }
        all += std::string(all.empty() ? "" : ", ") + "'" + w + "'";
    }
    MESSAGE("message names none of " << all);
    return false;
}

}  // namespace gomhc_test
