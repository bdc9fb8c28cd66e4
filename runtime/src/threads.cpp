// The size of Halide's thread pool, which runs every CPU kernel.
#include <algorithm>
#include <atomic>
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

namespace detail {
int pool_threads() {
    const int set = threads_in_force.load(std::memory_order_relaxed);
    return set > 0 ? set : int(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace detail
}  // namespace gomhc
