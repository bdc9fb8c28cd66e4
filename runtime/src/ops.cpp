// The C++ API: argument checks, the choice of kernel variant, and the calls.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <thread>

#include "buffer_slice.h"
#include "cuda_driver.h"
#include "kernels.h"
#include "op_support.h"

namespace gomhc {
namespace detail {

// Halide reports a failed check through this handler; keep the text for the
// exception instead of letting it go to stderr. The handler may run on one of
// Halide's worker threads, so the text goes to one process-wide buffer that
// the calling thread's check_kernel takes. (Two callers failing at the same
// moment may see each other's text; each still gets its own status.)
std::mutex halide_message_mutex;
std::string halide_message;
void capture_halide_error(void *, const char *message) {
    std::lock_guard<std::mutex> lock(halide_message_mutex);
    halide_message += message;
}
std::string take_halide_message() {
    std::lock_guard<std::mutex> lock(halide_message_mutex);
    std::string message;
    message.swap(halide_message);
    return message;
}
const bool error_handler_installed = [] {
    halide_set_error_handler(&capture_halide_error);
    return true;
}();

// Read by every call, set by set_check_finite from any thread.
std::atomic<bool> finite_checks{[] {
    const char *env = std::getenv("GOMHC_CHECK_FINITE");
    return env && std::string(env) == "1";
}()};

Device check_args(const char *op, std::initializer_list<Arg> args) {
    const Device device = args.begin()->view.device();
    for (const Arg &arg : args) {
        if (arg.view.shape() != arg.expected) {
            throw InvalidArgument(std::string(op) + ": '" + arg.name + "' has shape " +
                                  arg.view.shape_string() + ", expected " +
                                  format_shape(arg.expected) + " = " + arg.layout);
        }
        if (arg.view.data() == nullptr && arg.view.size() > 0) {
            throw InvalidArgument(std::string(op) + ": '" + arg.name + "' is a null pointer");
        }
        if (arg.view.device() != device) {
            throw InvalidArgument(std::string(op) + ": '" + arg.name + "' is in " +
                                  (arg.view.device() == Device::cuda ? "CUDA" : "host") +
                                  " memory but '" + args.begin()->name +
                                  "' is not; all tensors of a call must share a device");
        }
    }
    if (device == Device::cuda) {
        detail::require_cuda(op);
    } else if (finite_checks.load(std::memory_order_relaxed)) {
        for (const Arg &arg : args) {
            if (!arg.input) {
                continue;
            }
            const float *data = arg.view.data();
            for (int64_t i = 0, size = arg.view.size(); i < size; i++) {
                if (!std::isfinite(data[i])) {
                    throw InvalidArgument(std::string(op) + ": '" + arg.name +
                                          "' holds a non-finite value (" + std::to_string(data[i]) +
                                          ") at flat index " + std::to_string(i));
                }
            }
        }
    }
    return device;
}

void check_tokens(const char *op, const char *name, const TokenView &tokens, const Shape &expected,
                  const char *layout, Device device, int64_t vocab) {
    if (tokens.shape() != expected) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " +
                              tokens.shape_string() + ", expected " + format_shape(expected) +
                              " = " + layout);
    }
    if (tokens.data() == nullptr && tokens.size() > 0) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' is a null pointer");
    }
    if (tokens.device() != device) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' is in " +
                              (tokens.device() == Device::cuda ? "CUDA" : "host") +
                              " memory but the tensors are not; all arguments of a call must "
                              "share a device");
    }
    if (device == Device::host) {
        const int32_t *ids = tokens.data();
        for (int64_t i = 0, size = tokens.size(); i < size; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw InvalidArgument(std::string(op) + ": '" + name + "' holds token id " +
                                      std::to_string(ids[i]) + " at flat index " +
                                      std::to_string(i) + ", outside the vocabulary [0, " +
                                      std::to_string(vocab) + ")");
            }
        }
    }
}

int64_t leading_tokens(const char *op, const char *name, const TensorView &view, size_t rank) {
    if (view.shape().size() != rank) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has rank " +
                              std::to_string(view.shape().size()) + " (shape " +
                              view.shape_string() + "), expected rank " + std::to_string(rank));
    }
    if (view.shape()[0] < 1) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has " +
                              std::to_string(view.shape()[0]) + " tokens, expected at least 1");
    }
    return view.shape()[0];
}

int check_ds(const char *op, int d, int s) {
    if (d < 1) {
        throw InvalidArgument(std::string(op) + ": d = " + std::to_string(d) + ", expected d >= 1");
    }
    if (s < 1) {
        throw InvalidArgument(std::string(op) + ": s = " + std::to_string(s) + ", expected s >= 1");
    }
    if (int64_t(d) * s > kMaxN) {
        throw InvalidArgument(std::string(op) + ": n = d*s = " + std::to_string(int64_t(d) * s) +
                              " (d = " + std::to_string(d) + ", s = " + std::to_string(s) +
                              "), expected n <= " + std::to_string(kMaxN));
    }
    return d * s;
}

void check_kernel(const char *op, int result) {
    if (result != 0) {
        std::string message = take_halide_message();
        if (message.empty()) {
            message = "no message";
        }
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
        throw KernelError(std::string(op) + ": the kernel failed (Halide error " +
                          std::to_string(result) + "): " + message);
    }
}

}  // namespace detail

using namespace detail;

std::string kernel_variant(int d, int s) {
    check_ds("gomhc::kernel_variant", d, s);
    int count = 0;
    const auto *table = kernels::orthostochastic_forward_variants(&count);
    return kernels::choose(table, count, d, s, Device::host).specialised ? "specialised"
                                                                         : "generic";
}

std::vector<std::pair<int, int>> specialised_shapes() {
    int count = 0;
    const auto *table = kernels::orthostochastic_forward_variants(&count);
    std::vector<std::pair<int, int>> shapes;
    for (int i = 0; i < count; i++) {
        if (table[i].device == Device::host && table[i].a > 0) {
            shapes.emplace_back(table[i].a, table[i].b);
        }
    }
    std::sort(shapes.begin(), shapes.end());
    return shapes;
}

void set_check_finite(bool enabled) { finite_checks.store(enabled, std::memory_order_relaxed); }

namespace {
// The count Halide's pool uses, as halide_set_num_threads resolved it
// (0 until the first call).
std::atomic<int> threads_in_force{0};
}  // namespace

void set_num_threads(int threads) {
    if (threads < 0) {
        throw InvalidArgument("gomhc::set_num_threads: threads = " + std::to_string(threads) +
                              ", expected >= 1, or 0 for the default");
    }
    // halide_set_num_threads returns the count in force before the call, with
    // 0 resolved to Halide's default (HL_NUM_THREADS, else the cores online);
    // the second call reads back what the first one set.
    halide_set_num_threads(threads);
    threads_in_force.store(halide_set_num_threads(threads));
}

namespace {
// Halide 14's pool, when it sizes itself on first use, ran our parallel
// kernels many times slower than one sized by halide_set_num_threads
// (docs/benchmarks.md, "Halide's thread pool"); so the library sizes it once
// at load, to the default (HL_NUM_THREADS, else the cores online).
const bool pool_sized_at_load = [] {
    set_num_threads(0);
    return true;
}();
}  // namespace

int num_threads() {
    if (threads_in_force.load() == 0) {
        set_num_threads(0);
    }
    return threads_in_force.load();
}

namespace detail {
int pool_threads() {
    const int set = threads_in_force.load(std::memory_order_relaxed);
    return set > 0 ? set : int(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace detail

void cayley_forward(int d, int s, const TensorView &params, const TensorView &q) {
    const char *op = "gomhc::cayley_forward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "params", params, 2);
    const int64_t pairs = int64_t(n) * (n - 1) / 2;
    const Device device =
        check_args(op, {{"params", params, {tokens, pairs}, "[tokens][n(n-1)/2]", true},
                        {"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", false}});
    if (n == 1) {  // A is the 1 x 1 zero matrix, so Q = [1].
        if (device == Device::cuda) {
            detail::cuda_fill(const_cast<float *>(q.data()), size_t(tokens), 1.0f);
        } else {
            std::fill_n(const_cast<float *>(q.data()), tokens, 1.0f);
        }
        return;
    }
    int count = 0;
    const auto *table = kernels::cayley_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, n, 0, device), device);
    for_token_slices(tokens, int64_t(n) * n, [&](int64_t first, int64_t size) {
        HalideBufferSlice p(params, first, size), out(q, first, size);
        check_kernel(op, fn(n, &p.buffer, &out.buffer));
    });
}

void cayley_backward(int d, int s, const TensorView &q, const TensorView &dq,
                     const TensorView &dparams) {
    const char *op = "gomhc::cayley_backward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "q", q, 3);
    const int64_t pairs = int64_t(n) * (n - 1) / 2;
    const Device device =
        check_args(op, {{"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", true},
                        {"dq", dq, {tokens, n, n}, "[tokens][n][n]", true},
                        {"dparams", dparams, {tokens, pairs}, "[tokens][n(n-1)/2]", false}});
    if (n == 1) {
        return;  // no parameters, nothing to write
    }
    int count = 0;
    const auto *table = kernels::cayley_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, n, 0, device), device);
    for_token_slices(tokens, int64_t(n) * n, [&](int64_t first, int64_t size) {
        HalideBufferSlice q_s(q, first, size), dq_s(dq, first, size), out(dparams, first, size);
        check_kernel(op, fn(&q_s.buffer, &dq_s.buffer, &out.buffer));
    });
}

void orthostochastic_forward(int d, int s, const TensorView &q, const TensorView &h) {
    const char *op = "gomhc::orthostochastic_forward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "q", q, 3);
    const Device device =
        check_args(op, {{"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", true},
                        {"h", h, {tokens, d, d}, "[tokens][d][d]", false}});
    int count = 0;
    const auto *table = kernels::orthostochastic_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, d, s, device), device);
    for_token_slices(tokens, int64_t(n) * n, [&](int64_t first, int64_t size) {
        HalideBufferSlice q_s(q, first, size), out(h, first, size);
        check_kernel(op, fn(d, s, &q_s.buffer, &out.buffer));
    });
}

void orthostochastic_backward(int d, int s, const TensorView &q, const TensorView &dh,
                              const TensorView &dq) {
    const char *op = "gomhc::orthostochastic_backward";
    const int n = check_ds(op, d, s);
    const int64_t tokens = leading_tokens(op, "q", q, 3);
    const Device device =
        check_args(op, {{"q", q, {tokens, n, n}, "[tokens][n][n] with n = d*s", true},
                        {"dh", dh, {tokens, d, d}, "[tokens][d][d]", true},
                        {"dq", dq, {tokens, n, n}, "[tokens][n][n]", false}});
    int count = 0;
    const auto *table = kernels::orthostochastic_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, d, s, device), device);
    for_token_slices(tokens, int64_t(n) * n, [&](int64_t first, int64_t size) {
        HalideBufferSlice q_s(q, first, size), dh_s(dh, first, size), out(dq, first, size);
        check_kernel(op, fn(d, s, &q_s.buffer, &dh_s.buffer, &out.buffer));
    });
}

namespace {

// The stream ops take d and C from x: [tokens][d][C].
struct StreamShape {
    int64_t tokens, d, c;
};

StreamShape stream_shape(const char *op, const TensorView &x) {
    const int64_t tokens = leading_tokens(op, "x", x, 3);
    const int64_t d = x.shape()[1], c = x.shape()[2];
    if (d < 1 || d > kMaxN) {
        throw InvalidArgument(std::string(op) + ": 'x' has shape " + x.shape_string() +
                              " with d = " + std::to_string(d) +
                              " streams, expected 1 <= d <= " + std::to_string(kMaxN));
    }
    if (c < 1) {
        throw InvalidArgument(std::string(op) + ": 'x' has shape " + x.shape_string() +
                              " with C = " + std::to_string(c) + " features, expected C >= 1");
    }
    return {tokens, d, c};
}

}  // namespace

void stream_read_forward(const TensorView &x, const TensorView &h_pre, const TensorView &y) {
    const char *op = "gomhc::stream_read_forward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device = check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"h_pre", h_pre, {tokens, d}, "[tokens][d]", true},
                                          {"y", y, {tokens, c}, "[tokens][C]", false}});
    int count = 0;
    const auto *table = kernels::stream_read_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, int(d), 0, device), device);
    for_token_slices(tokens, d * c, [&](int64_t first, int64_t size) {
        HalideBufferSlice x_s(x, first, size), h_s(h_pre, first, size), out(y, first, size);
        check_kernel(op, fn(&x_s.buffer, &h_s.buffer, &out.buffer));
    });
}

void stream_read_backward(const TensorView &x, const TensorView &h_pre, const TensorView &dy,
                          const TensorView &dx, const TensorView &dh_pre) {
    const char *op = "gomhc::stream_read_backward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device = check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                                          {"h_pre", h_pre, {tokens, d}, "[tokens][d]", true},
                                          {"dy", dy, {tokens, c}, "[tokens][C]", true},
                                          {"dx", dx, {tokens, d, c}, "[tokens][d][C]", false},
                                          {"dh_pre", dh_pre, {tokens, d}, "[tokens][d]", false}});
    int count = 0;
    const auto *table = kernels::stream_read_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, int(d), 0, device), device);
    for_token_slices(tokens, d * c, [&](int64_t first, int64_t size) {
        HalideBufferSlice x_s(x, first, size), h_s(h_pre, first, size), dy_s(dy, first, size),
            dx_s(dx, first, size), dh_s(dh_pre, first, size);
        check_kernel(op, fn(&x_s.buffer, &h_s.buffer, &dy_s.buffer, &dx_s.buffer, &dh_s.buffer));
    });
}

void stream_write_forward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                          const TensorView &f, const TensorView &x_next) {
    const char *op = "gomhc::stream_write_forward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device =
        check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                        {"h_res", h_res, {tokens, d, d}, "[tokens][d][d]", true},
                        {"h_post", h_post, {tokens, d}, "[tokens][d]", true},
                        {"f", f, {tokens, c}, "[tokens][C]", true},
                        {"x_next", x_next, {tokens, d, c}, "[tokens][d][C]", false}});
    int count = 0;
    const auto *table = kernels::stream_write_forward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, int(d), 0, device), device);
    for_token_slices(tokens, d * std::max(c, d), [&](int64_t first, int64_t size) {
        HalideBufferSlice x_s(x, first, size), hr(h_res, first, size), hp(h_post, first, size),
            f_s(f, first, size), out(x_next, first, size);
        check_kernel(op, fn(&x_s.buffer, &hr.buffer, &hp.buffer, &f_s.buffer, &out.buffer));
    });
}

void stream_write_backward(const TensorView &x, const TensorView &h_res, const TensorView &h_post,
                           const TensorView &f, const TensorView &dx_next, const TensorView &dx,
                           const TensorView &dh_res, const TensorView &dh_post,
                           const TensorView &df) {
    const char *op = "gomhc::stream_write_backward";
    const auto [tokens, d, c] = stream_shape(op, x);
    const Device device =
        check_args(op, {{"x", x, {tokens, d, c}, "[tokens][d][C]", true},
                        {"h_res", h_res, {tokens, d, d}, "[tokens][d][d]", true},
                        {"h_post", h_post, {tokens, d}, "[tokens][d]", true},
                        {"f", f, {tokens, c}, "[tokens][C]", true},
                        {"dx_next", dx_next, {tokens, d, c}, "[tokens][d][C]", true},
                        {"dx", dx, {tokens, d, c}, "[tokens][d][C]", false},
                        {"dh_res", dh_res, {tokens, d, d}, "[tokens][d][d]", false},
                        {"dh_post", dh_post, {tokens, d}, "[tokens][d]", false},
                        {"df", df, {tokens, c}, "[tokens][C]", false}});
    int count = 0;
    const auto *table = kernels::stream_write_backward_variants(&count);
    auto fn = require_variant(op, kernels::choose(table, count, int(d), 0, device), device);
    for_token_slices(tokens, d * std::max(c, d), [&](int64_t first, int64_t size) {
        HalideBufferSlice x_s(x, first, size), hr(h_res, first, size), hp(h_post, first, size),
            f_s(f, first, size), dout(dx_next, first, size), dx_s(dx, first, size),
            dhr(dh_res, first, size), dhp(dh_post, first, size), df_s(df, first, size);
        check_kernel(op, fn(&x_s.buffer, &hr.buffer, &hp.buffer, &f_s.buffer, &dout.buffer,
                            &dx_s.buffer, &dhr.buffer, &dhp.buffer, &df_s.buffer));
    });
}

}  // namespace gomhc
