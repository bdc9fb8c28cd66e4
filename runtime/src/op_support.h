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

#include "buffer_slice.h"
#include "device.h"
#include "gomhc/gomhc.hpp"
#include "kernels.h"
#include "opencl_driver.h"

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
// A view of the caller's memory on `device`: an address, or a cl_mem.
template<typename T>
TensorView view_on(Device device, T *data, const Shape &shape) {
    return view_at({device, const_cast<float *>(data), 0}, shape);
}

// The view's elements as one flat dimension, so HalideBufferSlice takes
// chunks of it.
inline TensorView flat(const TensorView &view) { return view.reshaped({view.size()}); }

// Size i of a generic call (gomhc/ops.hpp) as an integer; throws
// InvalidArgument naming it unless it is a whole number (and, for
// op_int_size, one that fits an int).
int64_t op_size(const char *op, const std::vector<double> &sizes, size_t i, const char *name);
int op_int_size(const char *op, const std::vector<double> &sizes, size_t i, const char *name);

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

// The kernel of `op` on `device` from its registry table: the variant
// specialised for (a, b) when the build made one, else the generic one.
template<typename Fn>
Fn find_kernel(const char *op, const kernels::Variant<Fn> *(*table)(int *), Device device,
               int a = 0, int b = 0) {
    int count = 0;
    const kernels::Variant<Fn> *variants = table(&count);
    const kernels::Chosen<Fn> chosen = kernels::choose(variants, count, a, b, device);
    if (!chosen.fn) {
        throw Error(std::string(op) + ": this build has no " +
                    (device == Device::host ? "CPU" : device_name(device)) + " kernel for it");
    }
    return chosen.fn;
}

// The registry VARIANT of this name (such as `narrow`), else the generic one.
template<typename Fn>
Fn find_named_kernel(const char *op, const kernels::Variant<Fn> *(*table)(int *), const char *name,
                     Device device) {
    int count = 0;
    const kernels::Variant<Fn> *variants = table(&count);
    const kernels::Chosen<Fn> chosen = kernels::choose_named(variants, count, name, device);
    if (!chosen.fn) {
        throw Error(std::string(op) + ": this build has no " +
                    (device == Device::host ? "CPU" : device_name(device)) + " kernel for it");
    }
    return chosen.fn;
}

// A tensor every slice of a call reads or writes whole: weights, LayerNorm's
// gamma, the coefficient gradients summed over tokens.
struct Whole {
    const TensorView &view;
};
inline Whole whole(const TensorView &view) { return {view}; }

// One argument of a kernel call, bound to the tokens [first, first + count):
// a TensorView or TokenView passes that slice, whole() passes everything, a
// number or a runtime-owned halide_buffer_t * passes as it is.
template<typename T, typename Enable = void>
struct SliceArgument {
    T value;
    SliceArgument(const T &v, int64_t, int64_t) : value(v) {}
    T get() const { return value; }
};
template<typename View>
struct SlicedView {
    HalideBufferSlice slice;
    SlicedView(const View &view, int64_t first, int64_t count) : slice(view, first, count) {}
    halide_buffer_t *get() { return &slice.buffer; }
};
template<>
struct SliceArgument<TensorView> : SlicedView<TensorView> {
    using SlicedView::SlicedView;
};
template<>
struct SliceArgument<TokenView> : SlicedView<TokenView> {
    using SlicedView::SlicedView;
};
template<>
struct SliceArgument<Whole> {
    HalideBufferSlice slice;
    SliceArgument(const Whole &w, int64_t, int64_t)
        : slice(w.view, 0, w.view.shape().empty() ? 1 : w.view.shape()[0]) {}
    halide_buffer_t *get() { return &slice.buffer; }
};

template<typename Fn, typename... Bound>
int invoke_bound(Fn fn, Bound &&...bound) {
    return fn(bound.get()...);
}

// Calls the kernel `fn` once per slice of `tokens` small enough for Halide's
// 32-bit indexing (elements_per_token: the most any tensor has per token),
// each argument bound as SliceArgument says, and checks every result.
template<typename Fn, typename... Args>
void call_sliced(const char *op, Fn fn, int64_t tokens, int64_t elements_per_token,
                 const Args &...args) {
    for_token_slices(tokens, elements_per_token, [&](int64_t first, int64_t count) {
        OpenClStaging staging;  // outlives the bound arguments: copies back after the kernel
        check_kernel(op, invoke_bound(fn, SliceArgument<Args>(args, first, count)...));
    });
}

inline int64_t whole_tokens(const TensorView &view) {
    return view.shape().empty() ? 1 : view.shape()[0];
}
inline int64_t whole_tokens(const TokenView &view) {
    return view.shape().empty() ? 1 : view.shape()[0];
}
template<typename T>
int64_t whole_tokens(const T &) {
    return 0;
}

// One call over the whole tensors, for kernels that reduce over every token
// (their sizes are checked to fit Halide's indexing first).
template<typename Fn, typename... Args>
void call_whole(const char *op, Fn fn, const Args &...args) {
    OpenClStaging staging;
    check_kernel(op, invoke_bound(fn, SliceArgument<Args>(args, 0, whole_tokens(args))...));
}

}  // namespace gomhc::detail