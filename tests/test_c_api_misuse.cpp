// The C API under misuse (gomhc.h, "Misuse"): destroyed and never-made
// layers, null pointers, token counts that are zero, negative or past what
// memory holds, the wrong device, and two threads calling one layer. Each is
// a status code and a message naming the problem, never a crash; the
// sanitized copy of this suite (asan_test_c_api_misuse) checks that no call
// touches freed memory.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "gomhc.h"

namespace {

bool has(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

// A failed call: its status, and a message that names the function and says
// `part`.
void check_refused(int rc, int status, const char *function, const std::string &part) {
    const std::string message = gomhc_last_error();
    INFO(function << " -> " << rc << ": " << message);
    CHECK(rc == status);
    CHECK(has(message, function));
    CHECK(has(message, part));
}

struct Buffers {
    std::vector<float> x, f, y, x_next, dx, df;
    Buffers(int64_t t, int d, int64_t c)
        : x(size_t(t * d * c), 0.5f),
          f(size_t(t * c), 0.25f),
          y(size_t(t * c)),
          x_next(size_t(t * d * c)),
          dx(size_t(t * d * c)),
          df(size_t(t * c)) {}
};

}  // namespace

TEST_CASE("C API misuse: a destroyed or never-made layer is refused without touching it") {
    const int d = 4, s = 2;
    const int64_t c = 8, t = 3;
    Buffers b(t, d, c);
    gomhc_layer *layer = nullptr;
    REQUIRE(gomhc_layer_create("go", d, s, c, 1, &layer) == GOMHC_OK);
    REQUIRE(gomhc_layer_pre(layer, t, b.x.data(), b.y.data()) == GOMHC_OK);
    gomhc_layer_destroy(layer);

    static char not_a_layer_storage[64];
    gomhc_layer *const not_a_layer = reinterpret_cast<gomhc_layer *>(not_a_layer_storage);
    for (gomhc_layer *bad : {layer, not_a_layer}) {
        const std::string live = "not a live layer";
        check_refused(gomhc_layer_pre(bad, t, b.x.data(), b.y.data()), GOMHC_INVALID_ARGUMENT,
                      "gomhc_layer_pre", live);
        check_refused(gomhc_layer_post(bad, t, b.x.data(), b.f.data(), b.x_next.data()),
                      GOMHC_INVALID_ARGUMENT, "gomhc_layer_post", live);
        check_refused(gomhc_layer_post_backward(bad, t, b.x.data(), b.dx.data(), b.df.data()),
                      GOMHC_INVALID_ARGUMENT, "gomhc_layer_post_backward", live);
        check_refused(gomhc_layer_pre_backward(bad, t, b.y.data(), b.dx.data()),
                      GOMHC_INVALID_ARGUMENT, "gomhc_layer_pre_backward", live);
        check_refused(gomhc_layer_zero_grads(bad), GOMHC_INVALID_ARGUMENT, "gomhc_layer_zero_grads",
                      live);
        check_refused(gomhc_layer_bind(bad, b.x.data(), b.dx.data()), GOMHC_INVALID_ARGUMENT,
                      "gomhc_layer_bind", live);
        gomhc_param_slice slice;
        check_refused(gomhc_layer_param_slice(bad, 0, &slice), GOMHC_INVALID_ARGUMENT,
                      "gomhc_layer_param_slice", live);
        CHECK(gomhc_layer_params(bad) == nullptr);
        CHECK(gomhc_layer_grads(bad) == nullptr);
        CHECK(gomhc_layer_num_params(bad) == -1);
        CHECK(gomhc_layer_param_slice_count(bad) == -1);
        CHECK(gomhc_layer_device(bad) == -1);
        gomhc_layer_destroy(bad);  // a second destroy does nothing
    }
}

TEST_CASE("C API misuse: null pointers in every layer call") {
    const int d = 2, s = 1;
    const int64_t c = 4, t = 2;
    Buffers b(t, d, c);
    gomhc_layer *layer = nullptr;
    check_refused(gomhc_layer_create("go", d, s, c, 1, nullptr), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_create", "'out'");
    check_refused(gomhc_layer_create(nullptr, d, s, c, 1, &layer), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_create", "'method'");
    REQUIRE(gomhc_layer_create("go", d, s, c, 1, &layer) == GOMHC_OK);
    check_refused(gomhc_layer_pre(nullptr, t, b.x.data(), b.y.data()), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_pre", "'layer' is a null pointer");
    check_refused(gomhc_layer_pre(layer, t, nullptr, b.y.data()), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_pre", "'x' is a null pointer");
    check_refused(gomhc_layer_param_slice(layer, 0, nullptr), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_param_slice", "'out'");
    check_refused(gomhc_layer_bind(nullptr, b.x.data(), b.dx.data()), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_bind", "null pointer");
    check_refused(gomhc_cuda_malloc(4, nullptr), GOMHC_INVALID_ARGUMENT, "gomhc_cuda_malloc",
                  "'out'");
    CHECK(gomhc_cuda_free(nullptr) == GOMHC_OK);
    gomhc_layer_destroy(nullptr);
    gomhc_layer_destroy(layer);
}

TEST_CASE("C API misuse: token counts that are zero, negative or past what memory holds") {
    const int d = 4, s = 2;
    const int64_t c = 8;
    std::vector<float> buffer(4096);
    float *p = buffer.data();
    gomhc_layer *layer = nullptr;
    REQUIRE(gomhc_layer_create("go", d, s, c, 1, &layer) == GOMHC_OK);
    for (const int64_t tokens : {int64_t(0), int64_t(-1), INT64_MIN}) {
        check_refused(gomhc_cayley_forward(tokens, d, s, p, p), GOMHC_INVALID_ARGUMENT,
                      "gomhc_cayley_forward", "tokens");
        check_refused(gomhc_layer_pre(layer, tokens, p, p), GOMHC_INVALID_ARGUMENT,
                      "gomhc_layer_pre", "tokens");
    }
    // No memory holds these: once the kernels ran and wrote past the buffer.
    check_refused(gomhc_cayley_forward(INT64_MAX, d, s, p, p), GOMHC_INVALID_ARGUMENT,
                  "gomhc_cayley_forward", "more than memory can hold");
    check_refused(gomhc_stream_read_forward(INT64_MAX / 64, d, int64_t(1) << 20, p, p, p),
                  GOMHC_INVALID_ARGUMENT, "gomhc_stream_read_forward", "more than memory can hold");
    check_refused(gomhc_stream_read_forward(2, d, INT64_MAX / 2, p, p, p), GOMHC_INVALID_ARGUMENT,
                  "gomhc_stream_read_forward", "c = ");
    check_refused(gomhc_layer_pre(layer, INT64_MAX / 8, p, p), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_pre", "more than memory can hold");
    gomhc_layer *huge = nullptr;
    check_refused(gomhc_layer_create("go", d, s, INT64_MAX / 2, 1, &huge), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_create", "c = ");
    CHECK(huge == nullptr);
    gomhc_layer_destroy(layer);
}

TEST_CASE("C API misuse: devices that are not there or not valid") {
    check_refused(gomhc_set_device(3), GOMHC_INVALID_ARGUMENT, "gomhc_set_device", "device = 3");
    CHECK(gomhc_device() == GOMHC_DEVICE_HOST);
    gomhc_layer *layer = nullptr;
    check_refused(gomhc_layer_create_on("go", 2, 1, 4, 1, 7, &layer), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_create", "device = 7");
    if (gomhc_cuda_available()) {
        MESSAGE("a GPU is here: test_cuda checks host pointers given to CUDA calls");
        return;
    }
    // Host memory given to CUDA calls on a machine without a GPU: refused,
    // nothing written.
    const int rc = gomhc_layer_create_on("go", 2, 1, 4, 1, GOMHC_DEVICE_CUDA, &layer);
    check_refused(rc, GOMHC_UNSUPPORTED, "HyperConnection", "CUDA cannot be used");
    CHECK(layer == nullptr);
    REQUIRE(gomhc_set_device(GOMHC_DEVICE_CUDA) == GOMHC_OK);
    std::vector<float> params(3, 0.1f), q(2 * 3 * 3, -7.0f);
    check_refused(gomhc_cayley_forward(2, 3, 1, params.data(), q.data()), GOMHC_UNSUPPORTED,
                  "cayley_forward", "CUDA cannot be used");
    CHECK(q == std::vector<float>(2 * 3 * 3, -7.0f));
    REQUIRE(gomhc_set_device(GOMHC_DEVICE_HOST) == GOMHC_OK);
}

TEST_CASE("C API misuse: two threads calling one layer get a refusal, not a race") {
    // Big enough that one pre takes milliseconds, so the calls overlap.
    const int d = 4, s = 2;
    const int64_t c = 1024, t = 1024;
    Buffers b(t, d, c);
    gomhc_layer *layer = nullptr;
    REQUIRE(gomhc_layer_create("go", d, s, c, 1, &layer) == GOMHC_OK);
    REQUIRE(gomhc_layer_pre(layer, t, b.x.data(), b.y.data()) == GOMHC_OK);
    const std::vector<float> expected = b.y;

    std::atomic<bool> done{false};
    std::atomic<int> worker_ok{0}, worker_refused{0}, other_message{0};
    std::thread worker([&] {
        std::vector<float> y(b.y.size());
        // Until 10 calls ran (the others were refused while the main
        // thread's call was in flight).
        for (int i = 0; i < 100000 && worker_ok < 10; i++) {
            const int rc = gomhc_layer_pre(layer, t, b.x.data(), y.data());
            if (rc == GOMHC_OK) {
                worker_ok++;
                if (y != expected) other_message++;  // a wrong result counts as a failure
            } else if (rc == GOMHC_INVALID_ARGUMENT && has(gomhc_last_error(), "another thread")) {
                worker_refused++;
            } else {
                other_message++;
            }
        }
        done = true;
    });
    int refused = 0, ok = 0;
    while (!done) {
        const int rc = gomhc_layer_zero_grads(layer);
        if (rc == GOMHC_OK) {
            ok++;
        } else {
            INFO(gomhc_last_error());
            REQUIRE(rc == GOMHC_INVALID_ARGUMENT);
            REQUIRE(has(gomhc_last_error(), "gomhc_layer_zero_grads"));
            REQUIRE(has(gomhc_last_error(), "in a call on another thread"));
            refused++;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));  // let the worker in
    }
    worker.join();
    MESSAGE("zero_grads: " << ok << " ran, " << refused << " refused; pre: " << worker_ok.load()
                           << " ran, " << worker_refused.load() << " refused, "
                           << other_message.load() << " other");
    CHECK(other_message == 0);
    CHECK(refused > 0);  // the calls did overlap
    CHECK(worker_ok > 0);

    // A destroy while another thread's call runs leaves the delete to the
    // end of that call; the thread's later calls are refused.
    std::atomic<bool> inside{false}, finished{false};
    std::atomic<int> unexpected{0};
    std::thread last([&] {
        std::vector<float> y(b.y.size());
        inside = true;
        for (int i = 0; i < 5; i++) {
            const int rc = gomhc_layer_pre(layer, t, b.x.data(), y.data());
            const std::string why = rc == GOMHC_OK ? "" : gomhc_last_error();
            if (rc != GOMHC_OK && !has(why, "not a live layer") && !has(why, "another thread")) {
                unexpected++;
            }
        }
        finished = true;
    });
    while (!inside) {
        std::this_thread::yield();
    }
    // Until the call is in flight (zero_grads refused), or the thread is done.
    while (!finished && gomhc_layer_zero_grads(layer) == GOMHC_OK) {
    }
    gomhc_layer_destroy(layer);
    last.join();
    CHECK(unexpected == 0);
    check_refused(gomhc_layer_pre(layer, t, b.x.data(), b.y.data()), GOMHC_INVALID_ARGUMENT,
                  "gomhc_layer_pre", "not a live layer");
}
