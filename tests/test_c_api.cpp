// The C API: the worked example, every bad-argument path of every function,
// the "writes nothing on failure" and "overwrites, never accumulates" rules.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gomhc.h"
#include "gomhc_reference.h"
#include "text_match.h"

namespace ref = gomhc::reference;
using gomhc_test::names;
using ref::Vec;

namespace {

constexpr float kSentinel = 12345.0f;
// Every buffer holds this many floats: enough for the largest shape any call
// below could address (T = 3, n = 72, C = 5), so an argument check the
// library forgot shows up as a failed CHECK, not as memory corruption.
constexpr size_t kBufferSize = 3 * 72 * 72 + 4096;

struct Sizes {
    int64_t tokens = 3;
    int d = 4;
    int s = 2;
    int64_t c = 5;
};

using Pointers = std::map<std::string, float *>;

// Element count of each gomhc.h argument, by name, for valid sizes.
int64_t element_count(const std::string &name, const Sizes &z) {
    const int64_t n = int64_t(z.d) * z.s;
    const int64_t t = z.tokens, d = z.d, c = z.c;
    if (name == "params" || name == "dparams") return t * n * (n - 1) / 2;
    if (name == "q" || name == "dq") return t * n * n;
    if (name == "h" || name == "dh" || name == "h_res" || name == "dh_res") return t * d * d;
    if (name == "x" || name == "dx" || name == "x_next" || name == "dx_next") return t * d * c;
    if (name == "h_pre" || name == "dh_pre" || name == "h_post" || name == "dh_post") return t * d;
    if (name == "y" || name == "dy" || name == "f" || name == "df") return t * c;
    FAIL("unknown argument " << name);
    return 0;
}

// One C function: its pointer arguments by their gomhc.h names, which of them
// are outputs, and how to call it.
struct CFunction {
    const char *name;
    bool takes_s;  // (d, s) functions; the others take (d, c)
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    std::function<int(const Sizes &, Pointers &)> call;
};

const std::vector<CFunction> &c_functions() {
    static const std::vector<CFunction> fns = {
        {"gomhc_cayley_forward",
         true,
         {"params"},
         {"q"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_cayley_forward(z.tokens, z.d, z.s, p["params"], p["q"]);
         }},
        {"gomhc_cayley_backward",
         true,
         {"q", "dq"},
         {"dparams"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_cayley_backward(z.tokens, z.d, z.s, p["q"], p["dq"], p["dparams"]);
         }},
        {"gomhc_orthostochastic_forward",
         true,
         {"q"},
         {"h"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_orthostochastic_forward(z.tokens, z.d, z.s, p["q"], p["h"]);
         }},
        {"gomhc_orthostochastic_backward",
         true,
         {"q", "dh"},
         {"dq"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_orthostochastic_backward(z.tokens, z.d, z.s, p["q"], p["dh"], p["dq"]);
         }},
        {"gomhc_stream_read_forward",
         false,
         {"x", "h_pre"},
         {"y"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_stream_read_forward(z.tokens, z.d, z.c, p["x"], p["h_pre"], p["y"]);
         }},
        {"gomhc_stream_read_backward",
         false,
         {"x", "h_pre", "dy"},
         {"dx", "dh_pre"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_stream_read_backward(z.tokens, z.d, z.c, p["x"], p["h_pre"], p["dy"],
                                               p["dx"], p["dh_pre"]);
         }},
        {"gomhc_stream_write_forward",
         false,
         {"x", "h_res", "h_post", "f"},
         {"x_next"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_stream_write_forward(z.tokens, z.d, z.c, p["x"], p["h_res"], p["h_post"],
                                               p["f"], p["x_next"]);
         }},
        {"gomhc_stream_write_backward",
         false,
         {"x", "h_res", "h_post", "f", "dx_next"},
         {"dx", "dh_res", "dh_post", "df"},
         [](const Sizes &z, Pointers &p) {
             return gomhc_stream_write_backward(z.tokens, z.d, z.c, p["x"], p["h_res"], p["h_post"],
                                                p["f"], p["dx_next"], p["dx"], p["dh_res"],
                                                p["dh_post"], p["df"]);
         }},
    };
    return fns;
}

// Buffers for one call: inputs hold small random values (an orthogonal-ish
// scale is irrelevant here), outputs hold the sentinel.
struct Buffers {
    std::map<std::string, std::vector<float>> data;
    Pointers pointers;

    explicit Buffers(const CFunction &fn, uint64_t seed = 1) {
        ref::Rng rng(seed);
        for (const auto &name : fn.inputs) {
            data[name] = ref::to_float(rng.uniform_vec(kBufferSize, -1.0, 1.0));
        }
        for (const auto &name : fn.outputs) {
            data[name].assign(kBufferSize, kSentinel);
        }
        for (auto &[name, v] : data) {
            pointers[name] = v.data();
        }
    }

    bool outputs_untouched(const CFunction &fn) const {
        for (const auto &name : fn.outputs) {
            for (float v : data.at(name)) {
                if (std::memcmp(&v, &kSentinel, sizeof v) != 0) {
                    return false;
                }
            }
        }
        return true;
    }
};

// Calls fn with the given sizes (and pointer `null_arg` nulled, if any) and
// checks the failure contract: GOMHC_INVALID_ARGUMENT, a message naming
// `expected_word`, and untouched outputs.
void check_rejected(const CFunction &fn, const Sizes &sizes, const std::string &null_arg,
                    const std::string &expected_word) {
    Buffers buf(fn);
    if (!null_arg.empty()) {
        buf.pointers[null_arg] = nullptr;
    }
    // (doctest prints a const char* variable as a pointer, hence std::string.)
    const std::string call =
        std::string(fn.name) + "(tokens=" + std::to_string(sizes.tokens) +
        ", d=" + std::to_string(sizes.d) +
        (fn.takes_s ? ", s=" + std::to_string(sizes.s) : ", c=" + std::to_string(sizes.c)) +
        (null_arg.empty() ? "" : ", " + null_arg + "=NULL") + ")";
    INFO(call);
    const int rc = fn.call(sizes, buf.pointers);
    const std::string msg = gomhc_last_error();
    INFO("gomhc_last_error(): \"" << msg << "\"");
    CHECK(rc != GOMHC_OK);
    CHECK(rc == GOMHC_INVALID_ARGUMENT);
    CHECK_FALSE(msg.empty());
    CHECK(names(msg, expected_word));
    CHECK(buf.outputs_untouched(fn));
}

}  // namespace

TEST_CASE("C API: the word matcher used below") {
    CHECK(names("d must be >= 1 (got 0)", "d"));
    CHECK(names("'q' is NULL", "q"));
    CHECK_FALSE(names("dq is NULL", "q"));
    CHECK_FALSE(names("invalid size", "d"));
}

TEST_CASE("C API: worked example d=2, s=1, params={1/3}") {
    const float params[1] = {1.0f / 3.0f};
    float q[4] = {kSentinel, kSentinel, kSentinel, kSentinel};
    float h[4] = {kSentinel, kSentinel, kSentinel, kSentinel};
    REQUIRE(gomhc_cayley_forward(1, 2, 1, params, q) == GOMHC_OK);
    REQUIRE(gomhc_orthostochastic_forward(1, 2, 1, q, h) == GOMHC_OK);
    const float q_expected[4] = {0.8f, -0.6f, 0.6f, 0.8f};
    const float h_expected[4] = {0.64f, 0.36f, 0.36f, 0.64f};
    for (int i = 0; i < 4; ++i) {
        CHECK(q[i] == doctest::Approx(q_expected[i]).epsilon(1e-6));
        CHECK(h[i] == doctest::Approx(h_expected[i]).epsilon(1e-6));
    }
}

TEST_CASE("C API: every function succeeds on valid arguments and matches the reference") {
    const Sizes z;
    const int n = z.d * z.s;
    for (const CFunction &fn : c_functions()) {
        INFO(std::string(fn.name));
        Buffers buf(fn, 7);
        CHECK(fn.call(z, buf.pointers) == GOMHC_OK);
        // Every entry of each output is written, and nothing beyond it.
        for (const auto &name : fn.outputs) {
            INFO("output " << name);
            const auto &v = buf.data[name];
            const auto count = size_t(element_count(name, z));
            CHECK(std::count(v.begin(), v.begin() + count, kSentinel) == 0);
            CHECK(std::count(v.begin() + count, v.end(), kSentinel) == long(v.size() - count));
        }
    }

    // Spot-check values of two functions against the reference through the C API.
    ref::Rng rng(3);
    const Vec p = ref::round_to_float(rng.normal_vec(size_t(z.tokens * ref::pair_count(n)), 1.0));
    std::vector<float> pf = ref::to_float(p), q(size_t(z.tokens) * n * n, kSentinel);
    REQUIRE(gomhc_cayley_forward(z.tokens, z.d, z.s, pf.data(), q.data()) == GOMHC_OK);
    CHECK(ref::max_abs_error(ref::to_double(q), ref::cayley_forward(z.tokens, n, p)) <= 1e-5);

    const Vec x = ref::round_to_float(rng.normal_vec(size_t(z.tokens * z.d * z.c), 1.0));
    const Vec hp = ref::round_to_float(rng.normal_vec(size_t(z.tokens * z.d), 1.0));
    std::vector<float> xf = ref::to_float(x), hpf = ref::to_float(hp),
                       y(size_t(z.tokens * z.c), kSentinel);
    REQUIRE(gomhc_stream_read_forward(z.tokens, z.d, z.c, xf.data(), hpf.data(), y.data()) ==
            GOMHC_OK);
    const Vec yr = ref::stream_read_forward(z.tokens, z.d, z.c, x, hp);
    CHECK(ref::normwise_error(ref::to_double(y), yr) <= 1e-5);
}

TEST_CASE("C API: outputs are overwritten, not accumulated") {
    const Sizes z;
    for (const CFunction &fn : c_functions()) {
        INFO(std::string(fn.name));
        Buffers buf(fn, 11);
        REQUIRE(fn.call(z, buf.pointers) == GOMHC_OK);
        std::map<std::string, std::vector<float>> first;
        for (const auto &name : fn.outputs) {
            first[name] = buf.data[name];
        }
        REQUIRE(fn.call(z, buf.pointers) == GOMHC_OK);
        for (const auto &name : fn.outputs) {
            INFO("output " << name);
            CHECK(buf.data[name] == first[name]);
        }
        // Garbage in the outputs beforehand changes nothing either.
        for (const auto &name : fn.outputs) {
            auto &v = buf.data[name];
            for (size_t i = 0; i < v.size(); ++i) {
                if (v[i] != kSentinel) {
                    v[i] = -777.0f;
                }
            }
        }
        REQUIRE(fn.call(z, buf.pointers) == GOMHC_OK);
        for (const auto &name : fn.outputs) {
            INFO("output " << name);
            CHECK(buf.data[name] == first[name]);
        }
    }
}

TEST_CASE("C API: bad sizes are rejected, named, and write nothing") {
    for (const CFunction &fn : c_functions()) {
        for (int64_t bad : {0, -1}) {
            Sizes z;
            z.tokens = bad;
            check_rejected(fn, z, "", "tokens");
        }
        for (int bad : {0, -3}) {
            Sizes z;
            z.d = bad;
            check_rejected(fn, z, "", "d");
        }
        if (fn.takes_s) {
            for (int bad : {0, -2}) {
                Sizes z;
                z.s = bad;
                check_rejected(fn, z, "", "s");
            }
            // n = d*s > 64, reached through d, through s, and through both.
            for (auto [d, s] : {std::pair<int, int>{65, 1}, {1, 65}, {9, 8}, {33, 2}}) {
                Sizes z;
                z.d = d;
                z.s = s;
                check_rejected(fn, z, "", "64");
            }
        } else {
            for (int64_t bad : {0, -1}) {
                Sizes z;
                z.c = bad;
                check_rejected(fn, z, "", "c");
            }
            // The stream kernels take at most 64 streams (gomhc::kMaxN).
            Sizes z;
            z.d = 65;
            check_rejected(fn, z, "", "64");
        }
    }
}

TEST_CASE("C API: each null pointer is rejected, named, and writes nothing") {
    const Sizes z;
    for (const CFunction &fn : c_functions()) {
        for (const auto &arg : fn.inputs) {
            check_rejected(fn, z, arg, arg);
        }
        for (const auto &arg : fn.outputs) {
            check_rejected(fn, z, arg, arg);
        }
    }
}

TEST_CASE("C API: n = 64 is accepted (the limit is inclusive)") {
    const CFunction &fn = c_functions()[0];
    Buffers buf(fn);
    Sizes z;
    z.d = 32;
    z.s = 2;
    z.tokens = 1;
    for (float &v : buf.data["params"]) {
        v *= 0.1f;
    }
    CHECK(fn.call(z, buf.pointers) == GOMHC_OK);
}

TEST_CASE("C API: gomhc_last_error is per thread and \"\" before any failure") {
    std::string other;
    std::thread worker([&] { other = gomhc_last_error(); });
    worker.join();
    CHECK(other.empty());

    // A failure on another thread leaves this thread's message alone.
    float out = kSentinel;
    REQUIRE(gomhc_cayley_forward(0, 2, 1, &out, &out) != GOMHC_OK);
    const std::string mine = gomhc_last_error();
    std::thread failing([] {
        float dummy = 0.0f;
        (void)gomhc_stream_read_forward(1, 1, 0, &dummy, &dummy, &dummy);
    });
    failing.join();
    CHECK(std::string(gomhc_last_error()) == mine);
    CHECK(out == kSentinel);
}
