// What every op of the runtime shares: argument checks with messages that
// name the argument, the choice of kernel variant, and the token slicing
// that keeps each kernel call within Halide's 32-bit indexing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gomhc/gomhc.hpp"
#include "kernels.h"

namespace gomhc::detail {

struct Arg {
    const char *name;
    const TensorView &view;
    Shape expected;
    const char *layout;  // the expected shape in words, e.g. "[tokens][n][n]"
    bool input;
};

// Checks shapes, pointers and devices; returns the device all args share.
Device check_args(const char *op, std::initializer_list<Arg> args);
// Checks a token-id view's shape, pointer and device (that of the call's
// tensors) and, in host memory, that every id lies in [0, vocab).
void check_tokens(const char *op, const char *name, const TokenView &tokens, const Shape &expected,
                  const char *layout, Device device, int64_t vocab);
// The token count of `view`, which must have rank `rank` and >= 1 token.
int64_t leading_tokens(const char *op, const char *name, const TensorView &view, size_t rank);
// Checks d >= 1, s >= 1, n = d*s <= kMaxN; returns n.
int check_ds(const char *op, int d, int s);
// Throws gomhc::Error with Halide's message when a kernel returned nonzero.
void check_kernel(const char *op, int result);
// A view of the caller's memory on `device` (host or CUDA).
template<typename T>
TensorView view_on(Device device, T *data, const Shape &shape) {
    return device == Device::cuda ? TensorView::cuda(data, shape) : TensorView::host(data, shape);
}

// The view's elements as one flat dimension, so HalideBufferSlice takes
// chunks of it.
inline TensorView flat(const TensorView &view) {
    return view_on(view.device(), const_cast<float *>(view.data()), {view.size()});
}

// The threads of Halide's pool as last set (the cores online before any
// set_num_threads call); cheap and lock-free, for the allocator.
int pool_threads();

// Runs `call(first, count)` over slices of tokens small enough for Halide's
// 32-bit indexing, given the largest per-token element count of any tensor.
template<typename Call>
void for_token_slices(int64_t tokens, int64_t elements_per_token, Call call) {
    const int64_t slice = std::max<int64_t>(
        1, std::numeric_limits<int32_t>::max() / std::max<int64_t>(1, elements_per_token));
    for (int64_t first = 0; first < tokens; first += slice) {
        call(first, std::min(slice, tokens - first));
    }
}

template<typename Fn>
Fn require_variant(const char *op, kernels::Chosen<Fn> chosen, Device device) {
    if (!chosen.fn) {
        throw Error(std::string(op) + ": this build has no " +
                    (device == Device::cuda ? "CUDA" : "CPU") + " kernel for it");
    }
    return chosen.fn;
}

}  // namespace gomhc::detail
