// Steady-state training calls the allocator for no scratch: after one step at
// each of two token counts (a training and an evaluation batch), 100 steps
// alternating between them allocate no block of 1 KiB or more, on the calling
// thread or on Halide's workers. Every allocation of the process goes through
// the malloc family defined below, which counts while `counting` is set and
// otherwise forwards to glibc. What remains are small blocks (the views'
// shape vectors and the ops' names), reported, not asserted: their number is
// the standard library's business.
#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <gomhc/gomhc.hpp>
#include <vector>

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

namespace {

constexpr size_t kLargeBlock = 1024;

std::atomic<bool> counting{false};
std::atomic<int64_t> small_blocks{0}, large_blocks{0};

void count(size_t bytes) {
    if (counting.load(std::memory_order_relaxed)) {
        (bytes >= kLargeBlock ? large_blocks : small_blocks).fetch_add(1);
    }
}

struct Counts {
    int64_t small, large;
};

template<typename Body>
Counts count_allocations(Body body) {
    small_blocks = 0;
    large_blocks = 0;
    counting = true;
    body();
    counting = false;
    return {small_blocks.load(), large_blocks.load()};
}

}  // namespace

extern "C" {
void *malloc(size_t bytes) {
    count(bytes);
    return __libc_malloc(bytes);
}
void *calloc(size_t items, size_t bytes) {
    count(items * bytes);
    return __libc_calloc(items, bytes);
}
void *realloc(void *p, size_t bytes) {
    count(bytes);
    return __libc_realloc(p, bytes);
}
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t bytes) {
    count(bytes);
    return __libc_memalign(alignment, bytes);
}
void *aligned_alloc(size_t alignment, size_t bytes) {
    count(bytes);
    return __libc_memalign(alignment, bytes);
}
int posix_memalign(void **out, size_t alignment, size_t bytes) {
    count(bytes);
    void *p = __libc_memalign(alignment, bytes);
    if (p == nullptr) {
        return 12;  // ENOMEM
    }
    *out = p;
    return 0;
}
}

namespace {

// The buffers of one step at T tokens, allocated before counting starts.
struct StepBuffers {
    int64_t t;
    std::vector<float> x, y, x_next, g, dx, df;
    StepBuffers(int64_t tokens, int d, int64_t c)
        : t(tokens),
          x(size_t(tokens * d * c), 0.5f),
          y(size_t(tokens * c)),
          x_next(size_t(tokens * d * c)),
          g(size_t(tokens * d * c), 0.25f),
          dx(size_t(tokens * d * c)),
          df(size_t(tokens * c)) {
        for (size_t i = 0; i < x.size(); ++i) {
            x[i] = float(i % 7) * 0.125f - 0.375f;
        }
    }
};

// A training step with F = identity: pre, post(f = y), post_backward,
// pre_backward(dy = df).
void step(gomhc::HyperConnection &layer, StepBuffers &b) {
    const int d = layer.d();
    const int64_t c = layer.c();
    const auto x = gomhc::TensorView::host(b.x.data(), {b.t, d, c});
    const auto y = gomhc::TensorView::host(b.y.data(), {b.t, c});
    const auto x_next = gomhc::TensorView::host(b.x_next.data(), {b.t, d, c});
    const auto g = gomhc::TensorView::host(b.g.data(), {b.t, d, c});
    const auto dx = gomhc::TensorView::host(b.dx.data(), {b.t, d, c});
    const auto df = gomhc::TensorView::host(b.df.data(), {b.t, c});
    layer.pre(x, y);
    layer.post(x, y, x_next);
    layer.post_backward(g, dx, df);
    layer.pre_backward(df, dx);
}

}  // namespace

TEST_CASE("the malloc hook sees the allocations it must count") {
    const Counts c = count_allocations([] {
        std::vector<float> big(4096);
        std::vector<char> small(16);
        big[0] = small[0] = 1;
    });
    CHECK(c.large == 1);
    CHECK(c.small == 1);
}

TEST_CASE("100 steps alternating T = 300 and T = 64 allocate no block of 1 KiB or more") {
    const int64_t c = 384;
    struct Case {
        gomhc::Method method;
        int d, s;
    };
    const Case cases[] = {{gomhc::Method::hc, 4, 1},       {gomhc::Method::mhc, 4, 1},
                          {gomhc::Method::mhc_lite, 4, 1}, {gomhc::Method::kromhc, 4, 1},
                          {gomhc::Method::go, 4, 2},       {gomhc::Method::go_kron, 4, 2}};
    gomhc::set_num_threads(2);  // scratch on the workers is counted too
    for (const Case &k : cases) {
        INFO(gomhc::method_name(k.method) << " d=" << k.d << " s=" << k.s << " C=" << c);
        gomhc::HyperConnection layer(k.method, k.d, k.s, c, 1);
        StepBuffers train(300, k.d, c), eval(64, k.d, c);
        step(layer, train);  // the first step at each size may allocate
        step(layer, eval);
        const Counts n = count_allocations([&] {
            for (int i = 0; i < 50; ++i) {
                step(layer, train);
                step(layer, eval);
            }
        });
        MESSAGE(gomhc::method_name(k.method)
                << ": over 100 steps " << n.large << " blocks >= 1 KiB, " << n.small
                << " smaller blocks");
        CHECK(n.large == 0);
    }
    gomhc::set_num_threads(0);
}
