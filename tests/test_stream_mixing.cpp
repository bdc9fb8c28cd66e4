// The float32 stream-mixing kernels (host) against the float64 reference.
#include <doctest/doctest.h>

#include <tuple>

#include "kernel_checks.h"

using namespace gomhc_test;

TEST_CASE("stream mixing: hand-worked values") {
    HostBackend b;
    // x = [[1,2],[3,4]] (d=2, C=2), h_pre = [0.5, 2] -> y = [6.5, 9].
    const Vec y =
        run_kernel(b, "stream_read_forward", {1, 2, 2}, {Vec{1, 2, 3, 4}, Vec{0.5, 2}})[0];
    CHECK(ref::max_abs_error(y, Vec{6.5, 9}) <= 1e-6);
    // d=2, C=1: x = [1, 2], h_res = [[0.25, 0.75], [0.75, 0.25]], h_post = [2, -1], f = [4]
    // -> x_next = [9.75, -2.75].
    const Vec out = run_kernel(b, "stream_write_forward", {1, 2, 1},
                               {Vec{1, 2}, Vec{0.25, 0.75, 0.75, 0.25}, Vec{2, -1}, Vec{4}})[0];
    CHECK(ref::max_abs_error(out, Vec{9.75, -2.75}) <= 1e-6);
}

TEST_CASE("stream mixing vs reference over T, d, C") {
    uint64_t seed = 2000;
    for (int64_t tokens : {1, 3, 17}) {
        for (int d : {1, 2, 3, 4, 8, 16}) {
            for (int64_t c : {1, 3, 17, 64, 129}) {
                HostBackend b;
                check_stream_read(b, tokens, d, c, seed++, false);
                check_stream_sum(b, tokens, d, c, seed++);
                check_stream_write(b, tokens, d, c, seed++, false);
            }
        }
    }
}

TEST_CASE("stream mixing vs reference: large T and C") {
    uint64_t seed = 2100;
    const std::tuple<int64_t, int, int64_t> cases[] = {
        {1000, 4, 1000}, {1000, 3, 17}, {1000, 1, 1}, {17, 5, 1000}, {1000, 2, 1}, {333, 7, 65}};
    for (auto [tokens, d, c] : cases) {
        HostBackend b;
        check_stream_read(b, tokens, d, c, seed++, false);
        check_stream_sum(b, tokens, d, c, seed++);
        check_stream_write(b, tokens, d, c, seed++, false);
    }
}

TEST_CASE("stream mixing backward vs finite differences") {
    uint64_t seed = 2200;
    const std::tuple<int64_t, int, int64_t> cases[] = {{1, 1, 1}, {1, 4, 3},  {2, 3, 5},
                                                       {3, 2, 8}, {2, 4, 17}, {1, 8, 4}};
    for (auto [tokens, d, c] : cases) {
        HostBackend b;
        check_stream_read(b, tokens, d, c, seed++, true);
        check_stream_write(b, tokens, d, c, seed++, true);
    }
}

TEST_CASE("stream mixing: shape errors throw gomhc::Error naming the argument") {
    const int d = 4;
    const int64_t tokens = 3, c = 5;
    auto x = oversized_buffer(tokens * d * c), out = oversized_buffer(tokens * d * c),
         dx = oversized_buffer(tokens * d * c);
    auto hp = oversized_buffer(tokens * d), dhp = oversized_buffer(tokens * d);
    auto hr = oversized_buffer(tokens * d * d), dhr = oversized_buffer(tokens * d * d);
    auto y = oversized_buffer(tokens * c), dy = oversized_buffer(tokens * c),
         f = oversized_buffer(tokens * c), df = oversized_buffer(tokens * c);
    using gomhc::TensorView;
    const auto P = [&](std::vector<float> &v, Shape shape) {
        return TensorView::host(v.data(), std::move(shape));
    };

    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_read_forward(P(x, {tokens, d, c}), P(hp, {tokens, d + 1}),
                                       P(y, {tokens, c}));
        },
        {"h_pre"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_read_forward(P(x, {tokens, d, c}), P(hp, {tokens, d}),
                                       P(y, {tokens, c - 1}));
        },
        {"y"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_read_backward(P(x, {tokens, d, c}), P(hp, {tokens, d}),
                                        P(dy, {tokens, c}), P(dx, {tokens, d, c}),
                                        P(dhp, {tokens - 1, d}));
        },
        {"dh_pre"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_sum_forward(P(x, {tokens, d, c}), P(y, {tokens, c + 1}));
        },
        {"y"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_sum_backward(P(dy, {tokens - 1, c}), P(dx, {tokens, d, c}));
        },
        {"dy"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_write_forward(P(x, {tokens, d, c}), P(hr, {tokens, d, d}),
                                        P(hp, {tokens, d}), P(f, {tokens, c + 1}),
                                        P(out, {tokens, d, c}));
        },
        {"f"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_write_forward(P(x, {tokens, d, c}), P(hr, {tokens, d, d - 1}),
                                        P(hp, {tokens, d}), P(f, {tokens, c}),
                                        P(out, {tokens, d, c}));
        },
        {"h_res"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_write_backward(
                P(x, {tokens, d, c}), P(hr, {tokens, d, d}), P(hp, {tokens, d}), P(f, {tokens, c}),
                P(out, {tokens, d, c}), P(dx, {tokens, d, c}), P(dhr, {tokens, d, d}),
                P(dhp, {tokens, d + 1}), P(df, {tokens, c}));
        },
        {"dh_post"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::stream_write_backward(
                P(x, {tokens, d, c}), P(hr, {tokens, d, d}), P(hp, {tokens, d}), P(f, {tokens, c}),
                P(out, {tokens, d, c + 2}), P(dx, {tokens, d, c}), P(dhr, {tokens, d, d}),
                P(dhp, {tokens, d}), P(df, {tokens, c}));
        },
        {"dx_next"}));
}
