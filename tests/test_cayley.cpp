// The float32 Cayley kernels (host) against the float64 reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>

#include "kernel_checks.h"

using namespace gomhc_test;

TEST_CASE("cayley: worked example d=2, s=1") {
    HostBackend b;
    const Vec q = run_kernel(b, "cayley_forward", {1, 2, 1}, {Vec{double(1.0f / 3.0f)}})[0];
    CHECK(ref::max_abs_error(q, Vec{0.8, -0.6, 0.6, 0.8}) <= 1e-6);
}

TEST_CASE("cayley: n = 1 has no parameters and Q = [1]") {
    HostBackend b;
    const Vec q = run_kernel(b, "cayley_forward", {3, 1, 1}, {Vec{}})[0];
    CHECK(ref::max_abs_error(q, Vec{1, 1, 1}) == 0.0);
    const Vec dp = run_kernel(b, "cayley_backward", {3, 1, 1}, {q, Vec{0.5, -2, 7}})[0];
    CHECK(dp.empty());
}

TEST_CASE("cayley: zero parameters give the identity") {
    for (DS ds : all_test_shapes()) {
        const int n = ds.d * ds.s;
        const int64_t tokens = 5;
        INFO("d=" << ds.d << " s=" << ds.s);
        HostBackend b;
        const Vec q = run_kernel(b, "cayley_forward", sizes_of(tokens, ds.d, ds.s),
                                 {Vec(size_t(tokens * pair_count(ds.d, ds.s)), 0.0)})[0];
        Vec eye;
        for (int64_t t = 0; t < tokens; ++t) {
            const Vec e = ref::identity(n);
            eye.insert(eye.end(), e.begin(), e.end());
        }
        CHECK(ref::max_abs_error(q, eye) == 0.0);
    }
}

TEST_CASE("cayley forward vs reference: specialised shapes, many T") {
    uint64_t seed = 100;
    for (DS ds : specialised_test_shapes()) {
        for (int64_t tokens : {1, 3, 17}) {
            HostBackend b;
            check_cayley_forward(b, tokens, ds.d, ds.s, 1.0, seed++);
        }
    }
}

TEST_CASE("cayley forward vs reference: generic shapes, many T") {
    uint64_t seed = 200;
    for (DS ds : generic_test_shapes()) {
        for (int64_t tokens : {1, 3, 17}) {
            HostBackend b;
            check_cayley_forward(b, tokens, ds.d, ds.s, 1.0, seed++);
        }
    }
}

TEST_CASE("cayley forward vs reference: T = 1000") {
    uint64_t seed = 300;
    for (DS ds : {DS{2, 1}, DS{4, 2}, DS{8, 4}, DS{3, 3}, DS{5, 2}}) {
        HostBackend b;
        check_cayley_forward(b, 1000, ds.d, ds.s, 1.0, seed++);
    }
}

TEST_CASE("cayley forward properties across sigma") {
    uint64_t seed = 400;
    for (DS ds : all_test_shapes()) {
        for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
            HostBackend b;
            check_cayley_forward(b, 33, ds.d, ds.s, sigma, seed++);
        }
    }
}

TEST_CASE("cayley backward vs reference backward") {
    uint64_t seed = 500;
    for (DS ds : all_test_shapes()) {
        if (ds.d * ds.s < 2) {
            continue;
        }
        for (int64_t tokens : {1, 3, 17}) {
            for (double sigma : {0.1, 1.0, 10.0}) {
                HostBackend b;
                check_cayley_backward_vs_reference(b, tokens, ds.d, ds.s, sigma, seed++);
            }
        }
    }
    for (DS ds : {DS{4, 2}, DS{3, 3}}) {
        HostBackend b;
        check_cayley_backward_vs_reference(b, 1000, ds.d, ds.s, 1.0, seed++);
    }
}

TEST_CASE("cayley backward vs finite differences") {
    uint64_t seed = 600;
    const DS shapes[] = {{2, 1}, {2, 2}, {4, 1}, {4, 2}, {8, 2}, {2, 4}, {3, 1}, {5, 2}, {3, 3}};
    for (DS ds : shapes) {
        for (double sigma : {0.1, 1.0, 3.0}) {
            HostBackend b;
            check_cayley_backward_vs_fd(b, 2, ds.d, ds.s, sigma, seed++);
        }
        HostBackend b;
        check_cayley_backward_vs_fd(b, 1, ds.d, ds.s, 10.0, seed++);
    }
    // One larger generic shape, one token (the FD cost grows as n^5).
    HostBackend b;
    check_cayley_backward_vs_fd(b, 1, 6, 5, 1.0, seed++);
    check_cayley_backward_vs_fd(b, 3, 4, 2, 1.0, seed++);
}

TEST_CASE("cayley: kernel variants") {
    CHECK(gomhc::kernel_variant(4, 2) == "specialised");
    CHECK(gomhc::kernel_variant(3, 3) == "generic");
    CHECK(gomhc::kernel_variant(5, 2) == "generic");
    bool has_4_2 = false;
    for (auto [d, s] : gomhc::specialised_shapes()) {
        CHECK(d >= 1);
        CHECK(s >= 1);
        CHECK(d * s <= 64);
        CHECK(gomhc::kernel_variant(d, s) == "specialised");
        has_4_2 = has_4_2 || (d == 4 && s == 2);
    }
    CHECK(has_4_2);
}

TEST_CASE("cayley: shape errors throw gomhc::Error naming the argument") {
    const int d = 4, s = 2, n = 8;
    const int64_t tokens = 3, pc = 28;
    auto params = oversized_buffer(tokens * pc), dparams = oversized_buffer(tokens * pc);
    auto q = oversized_buffer(tokens * n * n), dq = oversized_buffer(tokens * n * n);
    using gomhc::TensorView;
    const auto P = [&](std::vector<float> &v, Shape shape) {
        return TensorView::host(v.data(), std::move(shape));
    };

    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_forward(d, s, P(params, {tokens, pc}), P(q, {tokens, n, n - 1}));
        },
        {"q"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_forward(d, s, P(params, {tokens, pc - 1}), P(q, {tokens, n, n}));
        },
        {"params"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_forward(d, s, P(params, {tokens, pc}), P(q, {tokens - 1, n, n}));
        },
        {"q"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_forward(d, s, P(params, {tokens, pc}), P(q, {tokens * n, n}));
        },
        {"q"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_backward(d, s, P(q, {tokens, n, n}), P(dq, {tokens, n, n}),
                                   P(dparams, {tokens, pc + 1}));
        },
        {"dparams"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cayley_backward(d, s, P(q, {tokens, n, n}), P(dq, {tokens, n + 1, n}),
                                   P(dparams, {tokens, pc}));
        },
        {"dq"}));
    // d*s beyond the generic kernel's limit of 64.
    CHECK_THROWS_AS(gomhc::cayley_forward(65, 1, P(params, {tokens, pc}), P(q, {tokens, n, n})),
                    gomhc::Error);
    CHECK_THROWS_AS(gomhc::cayley_forward(0, 1, P(params, {tokens, pc}), P(q, {tokens, n, n})),
                    gomhc::Error);
}

TEST_CASE("set_check_finite names the first non-finite input") {
    const int d = 2, s = 2, n = 4;
    const int64_t tokens = 2, pc = 6;
    std::vector<float> params(size_t(tokens * pc), 0.1f), q(size_t(tokens * n * n), -5.0f);
    params[7] = std::numeric_limits<float>::quiet_NaN();
    const auto pv = gomhc::TensorView::host(params.data(), {tokens, pc});
    const auto qv = gomhc::TensorView::host(q.data(), {tokens, n, n});

    gomhc::set_check_finite(true);
    CHECK(throws_error_naming([&] { gomhc::cayley_forward(d, s, pv, qv); }, {"params", "7"}));
    CHECK(std::count(q.begin(), q.end(), -5.0f) == long(q.size()));  // nothing written
    params[7] = std::numeric_limits<float>::infinity();
    CHECK(throws_error_naming([&] { gomhc::cayley_forward(d, s, pv, qv); }, {"params"}));

    // Off again: the call goes through and the NaN/inf simply propagates.
    gomhc::set_check_finite(false);
    CHECK_NOTHROW(gomhc::cayley_forward(d, s, pv, qv));
    params[7] = 0.1f;
    CHECK_NOTHROW(gomhc::cayley_forward(d, s, pv, qv));
    CHECK(ref::all_finite(ref::to_double(q)));
}
