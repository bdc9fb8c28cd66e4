// The stream embedding (gomhc::stream_embed_forward / _backward) against the
// float64 reference: the forward in place or not, the backward adding into
// what dwse held, the sum over tokens the same on 1 and 2 threads, bad shapes
// named.
#include <doctest/doctest.h>

#include <vector>

#include "kernel_checks.h"

namespace ref = gomhc::reference;
using gomhc::TensorView;
using namespace gomhc_test;
using ref::Vec;

TEST_CASE("stream embedding: forward and backward against the reference") {
    uint64_t seed = 3100;
    for (int64_t tokens : {1, 7, 1000}) {
        for (int d : {1, 3, 4}) {
            for (int64_t c : {1, 37, 130}) {
                INFO("T = " << tokens << " d = " << d << " C = " << c);
                ref::Rng rng(seed++);
                const Vec x = normal_f32(rng, tokens * d * c, 1.0);
                const Vec wse = normal_f32(rng, d * c, 1.0);
                const Vec dout = normal_f32(rng, tokens * d * c, 1.0);
                HostBackend b;
                const Vec out = run_kernel(b, "stream_embed_forward",
                                           {double(tokens), double(d), double(c)}, {x, wse})[0];
                // One float addition per element: the rounded exact sum.
                CHECK(ref::max_abs_error(out, ref::round_to_float(ref::stream_embed_forward(
                                                  tokens, d, c, x, wse))) == 0.0);
                const Vec dwse = run_kernel(b, "stream_embed_backward",
                                            {double(tokens), double(d), double(c)}, {dout})[0];
                const Vec expected =
                    ref::stream_embed_backward(tokens, d, c, dout, Vec(size_t(d * c), 0.0));
                CHECK(ref::normwise_error(dwse, expected) <= kBackwardTol);
            }
        }
    }
}

TEST_CASE("stream embedding: the backward is the forward's gradient (finite differences)") {
    ref::Rng rng(3150);
    const int64_t tokens = 5, c = 7;
    const int d = 3;
    const Vec x = normal_f32(rng, tokens * d * c, 1.0);
    const Vec wse = normal_f32(rng, d * c, 1.0);
    const Vec dout = normal_f32(rng, tokens * d * c, 1.0);
    HostBackend b;
    const Vec dwse =
        run_kernel(b, "stream_embed_backward", {double(tokens), double(d), double(c)}, {dout})[0];
    const Vec fd = ref::numeric_gradient(
        [&](const Vec &w) { return ref::dot(dout, ref::stream_embed_forward(tokens, d, c, x, w)); },
        wse);
    CHECK(ref::normwise_error(dwse, fd) <= kFiniteDiffTol);
}

TEST_CASE("stream embedding: in place, adding into dwse, the same on any thread count") {
    const int64_t tokens = 513, d = 4, c = 33;
    ref::Rng rng(3200);
    std::vector<float> x = ref::to_float(normal_f32(rng, tokens * d * c, 1.0));
    const std::vector<float> wse = ref::to_float(normal_f32(rng, d * c, 1.0));
    const std::vector<float> original = x;
    const TensorView xv = TensorView::host(x.data(), {tokens, d, c});
    gomhc::stream_embed_forward(xv, TensorView::host(wse.data(), {d, c}), xv);
    for (int64_t i = 0; i < tokens * d * c; i++) {
        REQUIRE(x[size_t(i)] == original[size_t(i)] + wse[size_t(i % (d * c))]);
    }

    std::vector<float> dwse1(size_t(d * c), 1.0f), dwse2(size_t(d * c), 1.0f);
    const int threads = gomhc::num_threads();
    gomhc::set_num_threads(1);
    gomhc::stream_embed_backward(xv, TensorView::host(dwse1.data(), {d, c}));
    gomhc::set_num_threads(2);
    gomhc::stream_embed_backward(xv, TensorView::host(dwse2.data(), {d, c}));
    gomhc::set_num_threads(threads);
    CHECK(dwse1 == dwse2);
    const Vec expected =
        ref::stream_embed_backward(tokens, d, c, ref::to_double(x), Vec(size_t(d * c), 1.0));
    CHECK(ref::normwise_error(ref::to_double(dwse1), expected) <= 1e-6);
}

TEST_CASE("stream embedding: shape errors name the argument") {
    std::vector<float> x(4 * 3 * 5), wse(3 * 5), out(4 * 3 * 5);
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_embed_forward(TensorView::host(x.data(), {4, 3, 5}),
                                        TensorView::host(wse.data(), {3, 4}),
                                        TensorView::host(out.data(), {4, 3, 5}));
        },
        {"wse", "[3, 5]"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_embed_forward(TensorView::host(x.data(), {4, 3, 5}),
                                        TensorView::host(wse.data(), {3, 5}),
                                        TensorView::host(out.data(), {4, 5, 3}));
        },
        {"out"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_embed_backward(TensorView::host(x.data(), {4, 3, 5}),
                                         TensorView::host(wse.data(), {5, 3}));
        },
        {"dwse"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_embed_backward(TensorView::host(x.data(), {60}),
                                         TensorView::host(wse.data(), {3, 5}));
        },
        {"dout", "rank"}));
}
