// The float32 block Hadamard-square projection kernels (host) against the
// float64 reference, and the structural bounds of docs/math.md section 2.3 on H.
#include <doctest/doctest.h>

#include "kernel_checks.h"

using namespace gomhc_test;

TEST_CASE("orthostochastic: worked example d=2, s=1") {
    HostBackend b;
    const Vec h =
        run_kernel(b, "orthostochastic_forward", {1, 2, 1}, {Vec{0.8f, -0.6f, 0.6f, 0.8f}})[0];
    CHECK(ref::max_abs_error(h, Vec{0.64, 0.36, 0.36, 0.64}) <= 1e-6);
    // And the whole chain from the parameter 1/3.
    const Vec q = run_kernel(b, "cayley_forward", {1, 2, 1}, {Vec{double(1.0f / 3.0f)}})[0];
    const Vec h2 = run_kernel(b, "orthostochastic_forward", {1, 2, 1}, {q})[0];
    CHECK(ref::max_abs_error(h2, Vec{0.64, 0.36, 0.36, 0.64}) <= 1e-6);
}

TEST_CASE("orthostochastic: a hand-checked s=2 block") {
    // d=1, s=2: H = (1/2) * sum of all four squares.
    HostBackend b;
    const Vec h = run_kernel(b, "orthostochastic_forward", {1, 1, 2}, {Vec{1, 2, 3, 4}})[0];
    CHECK(ref::max_abs_error(h, Vec{15.0}) <= 1e-5);
    const Vec dq =
        run_kernel(b, "orthostochastic_backward", {1, 1, 2}, {Vec{1, 2, 3, 4}, Vec{0.5}})[0];
    // (2/s) * q * dh = 0.5 * q
    CHECK(ref::max_abs_error(dq, Vec{0.5, 1, 1.5, 2}) <= 1e-6);
}

TEST_CASE("orthostochastic forward vs reference: specialised shapes, many T") {
    uint64_t seed = 1000;
    for (DS ds : specialised_test_shapes()) {
        for (int64_t tokens : {1, 3, 17}) {
            HostBackend b;
            check_orthostochastic_forward(b, tokens, ds.d, ds.s, seed++);
        }
    }
}

TEST_CASE("orthostochastic forward vs reference: generic shapes, many T") {
    uint64_t seed = 1100;
    for (DS ds : generic_test_shapes()) {
        for (int64_t tokens : {1, 3, 17}) {
            HostBackend b;
            check_orthostochastic_forward(b, tokens, ds.d, ds.s, seed++);
        }
    }
}

TEST_CASE("orthostochastic forward vs reference: T = 1000 and arbitrary q") {
    uint64_t seed = 1200;
    for (DS ds : {DS{2, 1}, DS{4, 2}, DS{16, 2}, DS{3, 3}, DS{7, 9}}) {
        HostBackend b;
        check_orthostochastic_forward(b, 1000, ds.d, ds.s, seed++);
        check_orthostochastic_forward(b, 17, ds.d, ds.s, seed++, /*orthogonal_q=*/false);
    }
}

TEST_CASE("H = proj(cayley(params)) is doubly stochastic across sigma") {
    uint64_t seed = 1300;
    for (DS ds : all_test_shapes()) {
        for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
            HostBackend b;
            check_orthostochastic_properties(b, 33, ds.d, ds.s, sigma, seed++);
        }
    }
}

TEST_CASE("orthostochastic backward vs reference and finite differences") {
    uint64_t seed = 1400;
    for (DS ds : all_test_shapes()) {
        for (int64_t tokens : {1, 3, 17}) {
            HostBackend b;
            check_orthostochastic_backward(b, tokens, ds.d, ds.s, seed++);
        }
    }
    for (DS ds : {DS{4, 2}, DS{5, 2}}) {
        HostBackend b;
        check_orthostochastic_backward(b, 1000, ds.d, ds.s, seed++);
    }
}

TEST_CASE("orthostochastic: kernel variants") {
    CHECK(gomhc::kernel_variant(4, 2) == "specialised");
    CHECK(gomhc::kernel_variant(3, 3) == "generic");
    CHECK(gomhc::kernel_variant(5, 2) == "generic");
}

TEST_CASE("orthostochastic: shape errors throw gomhc::Error naming the argument") {
    const int d = 4, s = 2, n = 8;
    const int64_t tokens = 3;
    auto q = oversized_buffer(tokens * n * n), dq = oversized_buffer(tokens * n * n);
    auto h = oversized_buffer(tokens * d * d), dh = oversized_buffer(tokens * d * d);
    using gomhc::TensorView;
    const auto P = [&](std::vector<float> &v, Shape shape) {
        return TensorView::host(v.data(), std::move(shape));
    };

    CHECK(throws_error_naming(
        [&] {
            gomhc::orthostochastic_forward(d, s, P(q, {tokens, n, n + 1}), P(h, {tokens, d, d}));
        },
        {"q"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::orthostochastic_forward(d, s, P(q, {tokens, n, n}), P(h, {tokens, d, d + 1}));
        },
        {"h"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::orthostochastic_backward(d, s, P(q, {tokens, n, n}), P(dh, {tokens, d}),
                                            P(dq, {tokens, n, n}));
        },
        {"dh"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::orthostochastic_backward(d, s, P(q, {tokens, n, n}), P(dh, {tokens, d, d}),
                                            P(dq, {tokens + 1, n, n}));
        },
        {"dq"}));
}
