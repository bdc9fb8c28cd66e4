// What every op shares: argument checks whose messages name the argument,
// Halide's error text captured for the exception, and the finite-input
// debug checks.
#include "op_support.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include "device.h"

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
                                  device_name(arg.view.device()) + " memory but '" +
                                  args.begin()->name +
                                  "' is not; all tensors of a call must share a device");
        }
    }
    if (device != Device::host) {
        require_device(op, device);
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
                              device_name(tokens.device()) +
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

void set_check_finite(bool enabled) {
    detail::finite_checks.store(enabled, std::memory_order_relaxed);
}

}  // namespace gomhc
