// The size of Halide's thread pool, which runs every CPU kernel.
#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <limits>
#include <thread>

#include "HalideRuntime.h"
#include "op_support.h"

namespace gomhc {
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

namespace {
struct ParallelBody {
    const std::function<void(int64_t)> *body;
    std::exception_ptr error;
    std::atomic<bool> failed{false};
};

int run_task(void *, int index, uint8_t *closure) {
    auto *work = reinterpret_cast<ParallelBody *>(closure);
    if (work->failed.load(std::memory_order_relaxed)) {
        return 0;
    }
    try {
        (*work->body)(index);
    } catch (...) {
        // Exceptions must not cross Halide's C runtime: the first one is
        // kept and rethrown on the calling thread.
        if (!work->failed.exchange(true)) {
            work->error = std::current_exception();
        }
    }
    return 0;
}
}  // namespace

void parallel_for(int64_t count, const std::function<void(int64_t)> &body) {
    if (count <= 0) {
        return;
    }
    if (count > std::numeric_limits<int>::max()) {
        throw InvalidArgument("gomhc::parallel_for: count = " + std::to_string(count) +
                              ", expected at most " +
                              std::to_string(std::numeric_limits<int>::max()));
    }
    ParallelBody work{&body, nullptr};
    halide_do_par_for(nullptr, run_task, 0, int(count), reinterpret_cast<uint8_t *>(&work));
    if (work.error) {
        std::rethrow_exception(work.error);
    }
}

namespace detail {
int pool_threads() {
    const int set = threads_in_force.load(std::memory_order_relaxed);
    return set > 0 ? set : int(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace detail
}  // namespace gomhc
