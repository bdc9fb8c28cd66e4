// Tests of the float64 reference itself. Every kernel test trusts the
// reference, so it is checked here against hand-worked values, the algebraic
// identities of SPEC section 2, and finite differences. No kernel is involved.
#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <utility>

#include "gomhc_reference.h"

namespace ref = gomhc::reference;
using ref::Vec;

namespace {

// Loss sum(w * out) for fixed random weights w: its gradient with respect to
// out is w, so a backward called with the upstream gradient w must reproduce
// the finite-difference gradient of the loss.
double weighted_sum(const Vec &w, const Vec &out) { return ref::dot(w, out); }

const std::pair<int, int> kSmallShapes[] = {{1, 1}, {2, 1}, {2, 2}, {3, 1}, {4, 2},
                                            {3, 3}, {5, 2}, {2, 4}, {4, 4}};

}  // namespace

TEST_CASE("pair indexing is the row-major strict upper triangle") {
    CHECK(ref::pair_count(1) == 0);
    CHECK(ref::pair_count(2) == 1);
    CHECK(ref::pair_count(64) == 2016);
    // n = 4: (0,1)=0 (0,2)=1 (0,3)=2 (1,2)=3 (1,3)=4 (2,3)=5
    CHECK(ref::pair_index(0, 1, 4) == 0);
    CHECK(ref::pair_index(0, 3, 4) == 2);
    CHECK(ref::pair_index(1, 2, 4) == 3);
    CHECK(ref::pair_index(2, 3, 4) == 5);
    for (int n = 2; n <= 64; ++n) {
        int64_t k = 0;
        for (int i = 0; i < n; ++i) {
            for (int j = i + 1; j < n; ++j, ++k) {
                REQUIRE(ref::pair_index(i, j, n) == k);
                int ri = -1, rj = -1;
                ref::pair_of_index(k, n, &ri, &rj);
                REQUIRE(ri == i);
                REQUIRE(rj == j);
            }
        }
        REQUIRE(k == ref::pair_count(n));
    }
}

TEST_CASE("linear algebra helpers") {
    // det [[2,1],[1,3]] = 5; a row swap is needed for [[0,1],[1,0]] (det -1).
    CHECK(ref::determinant(2, Vec{2, 1, 1, 3}) == doctest::Approx(5.0));
    CHECK(ref::determinant(2, Vec{0, 1, 1, 0}) == doctest::Approx(-1.0));
    CHECK(ref::determinant(3, Vec{1, 2, 3, 4, 5, 6, 7, 8, 10}) == doctest::Approx(-3.0));
    CHECK(ref::determinant(2, Vec{1, 2, 2, 4}) == 0.0);

    ref::Rng rng(7);
    for (int n : {1, 2, 5, 17}) {
        const Vec m = rng.normal_vec(size_t(n) * n, 1.0);
        const Vec b = rng.normal_vec(size_t(n) * 3, 1.0);
        const Vec x = ref::solve(n, m, 3, b);
        CHECK(ref::max_abs_error(ref::matmul(n, n, 3, m.data(), x.data()), b) < 1e-10);
    }
    // A zero leading pivot exercises the partial pivoting.
    const Vec m{0, 1, 1, 1};
    const Vec x = ref::solve(2, m, 1, Vec{2, 3});
    CHECK(x[0] == doctest::Approx(1.0));
    CHECK(x[1] == doctest::Approx(2.0));
    CHECK_THROWS(ref::solve(2, Vec{1, 2, 2, 4}, 1, Vec{1, 1}));
}

TEST_CASE("error measures and the finite-difference checker") {
    CHECK(ref::max_abs_error(Vec{1, 2}, Vec{1, 2.5}) == doctest::Approx(0.5));
    CHECK(ref::max_relative_error(Vec{1, 2}, Vec{1, 2.5}) == doctest::Approx(0.2));
    CHECK(ref::normwise_error(Vec{1, 2}, Vec{1, 2.5}) == doctest::Approx(0.2));
    CHECK(std::isinf(ref::max_abs_error(Vec{NAN}, Vec{0.0})));
    CHECK_FALSE(ref::all_finite(Vec{1.0, INFINITY}));
    CHECK(ref::min_entry(Vec{3, -1, 2}) == -1.0);

    // f(x) = x0^2 x1 + sin(x2): gradient (2 x0 x1, x0^2, cos(x2)).
    auto f = [](const Vec &x) { return x[0] * x[0] * x[1] + std::sin(x[2]); };
    const Vec x{0.3, -1.7, 0.9};
    const Vec g = ref::numeric_gradient(f, x, 1e-5);
    const Vec exact{2 * 0.3 * -1.7, 0.09, std::cos(0.9)};
    CHECK(ref::max_abs_error(g, exact) < 1e-8);

    ref::Rng a(42), b(42);
    CHECK(a.normal(1.0) == b.normal(1.0));  // seeded, hence reproducible
    const Vec u = a.uniform_vec(1000, -2.0, 3.0);
    CHECK(ref::min_entry(u) >= -2.0);
    CHECK(ref::round_to_float(Vec{0.1})[0] == double(0.1f));
}

TEST_CASE("worked example d=2, s=1, params={1/3}") {
    // A = [[0, 1/3], [-1/3, 0]], I + A has det 10/9 and
    // Q = (I + A)^{-1} (I - A) = [[0.8, -0.6], [0.6, 0.8]].
    const Vec q = ref::cayley_forward(1, 2, Vec{1.0 / 3.0});
    const Vec q_expected{0.8, -0.6, 0.6, 0.8};
    CHECK(ref::max_abs_error(q, q_expected) < 1e-15);

    const Vec h = ref::orthostochastic_forward(1, 2, 1, q);
    const Vec h_expected{0.64, 0.36, 0.36, 0.64};
    CHECK(ref::max_abs_error(h, h_expected) < 1e-15);
}

TEST_CASE("zero parameters give the identity") {
    for (int n : {1, 2, 5, 64}) {
        const Vec q = ref::cayley_forward(2, n, Vec(size_t(2 * ref::pair_count(n)), 0.0));
        Vec eye2 = ref::identity(n);
        eye2.insert(eye2.end(), eye2.begin(), eye2.end());
        CHECK(ref::max_abs_error(q, eye2) == 0.0);
    }
}

TEST_CASE("Cayley map: the equivalent forms agree and Q is a rotation") {
    ref::Rng rng(1);
    for (int n : {2, 3, 8, 17, 32, 64}) {
        for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
            CAPTURE(n);
            CAPTURE(sigma);
            const Vec p = rng.normal_vec(size_t(ref::pair_count(n)), sigma);
            const Vec q = ref::cayley_forward(1, n, p);

            // Rebuild A and check Q = (I - A)(I + A)^{-1} = 2 (I + A)^{-1} - I.
            Vec a(size_t(n) * n, 0.0);
            for (int i = 0; i < n; ++i) {
                for (int j = i + 1; j < n; ++j) {
                    a[size_t(i) * n + j] = p[ref::pair_index(i, j, n)];
                    a[size_t(j) * n + i] = -p[ref::pair_index(i, j, n)];
                }
            }
            Vec plus = ref::identity(n), minus = ref::identity(n);
            for (size_t k = 0; k < a.size(); ++k) {
                plus[k] += a[k];
                minus[k] -= a[k];
            }
            const Vec inv = ref::solve(n, plus, n, ref::identity(n));
            const Vec q_right = ref::matmul(n, n, n, minus.data(), inv.data());
            Vec q_two = inv;
            for (int i = 0; i < n; ++i) {
                for (int j = 0; j < n; ++j) {
                    q_two[size_t(i) * n + j] = 2 * inv[size_t(i) * n + j] - (i == j);
                }
            }
            CHECK(ref::max_abs_error(q, q_right) < 1e-10);
            CHECK(ref::max_abs_error(q, q_two) < 1e-10);

            CHECK(ref::max_orthogonality_error(1, n, q) < 1e-10);
            CHECK(ref::max_det_error(1, n, q) < 1e-8);
        }
    }
}

TEST_CASE("projection is doubly stochastic; s=1 is the Hadamard square") {
    ref::Rng rng(2);
    for (auto [d, s] : kSmallShapes) {
        for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
            CAPTURE(d);
            CAPTURE(s);
            CAPTURE(sigma);
            const int n = d * s;
            const int64_t tokens = 3;
            const Vec p = rng.normal_vec(size_t(tokens * ref::pair_count(n)), sigma);
            const Vec q = ref::cayley_forward(tokens, n, p);
            const Vec h = ref::orthostochastic_forward(tokens, d, s, q);
            CHECK(ref::max_row_sum_error(tokens, d, h) < 1e-12);
            CHECK(ref::max_col_sum_error(tokens, d, h) < 1e-12);
            CHECK(ref::min_entry(h) >= 0.0);
            if (s == 1) {
                Vec sq = q;
                for (double &v : sq) {
                    v *= v;
                }
                CHECK(ref::max_abs_error(h, sq) == 0.0);
            }
        }
    }
}

TEST_CASE("Cayley backward matches finite differences of the forward") {
    ref::Rng rng(3);
    for (auto [d, s] : kSmallShapes) {
        for (double sigma : {0.1, 1.0, 5.0}) {
            const int n = d * s;
            if (n < 2) {
                continue;  // no parameters
            }
            CAPTURE(n);
            CAPTURE(sigma);
            const int64_t tokens = 2;
            const Vec p = rng.normal_vec(size_t(tokens * ref::pair_count(n)), sigma);
            const Vec w = rng.normal_vec(size_t(tokens) * n * n, 1.0);
            auto loss = [&](const Vec &pv) {
                return weighted_sum(w, ref::cayley_forward(tokens, n, pv));
            };
            const Vec fd = ref::numeric_gradient(loss, p, 1e-6);
            const Vec g = ref::cayley_backward(tokens, n, ref::cayley_forward(tokens, n, p), w);
            CHECK(ref::normwise_error(g, fd) < 1e-7);
        }
    }
}

TEST_CASE("projection backward matches finite differences of the forward") {
    ref::Rng rng(4);
    for (auto [d, s] : kSmallShapes) {
        CAPTURE(d);
        CAPTURE(s);
        const int n = d * s;
        const int64_t tokens = 2;
        // The projection is defined for any q, not only orthogonal ones.
        const Vec q = rng.normal_vec(size_t(tokens) * n * n, 1.0);
        const Vec w = rng.normal_vec(size_t(tokens) * d * d, 1.0);
        auto loss = [&](const Vec &qv) {
            return weighted_sum(w, ref::orthostochastic_forward(tokens, d, s, qv));
        };
        const Vec fd = ref::numeric_gradient(loss, q, 1e-6);
        const Vec g = ref::orthostochastic_backward(tokens, d, s, q, w);
        CHECK(ref::normwise_error(g, fd) < 1e-8);
    }
}

TEST_CASE("chained backward matches finite differences of params -> H") {
    ref::Rng rng(5);
    for (auto [d, s] : kSmallShapes) {
        const int n = d * s;
        if (n < 2) {
            continue;
        }
        CAPTURE(d);
        CAPTURE(s);
        const int64_t tokens = 2;
        const Vec p = rng.normal_vec(size_t(tokens * ref::pair_count(n)), 0.7);
        const Vec w = rng.normal_vec(size_t(tokens) * d * d, 1.0);
        auto loss = [&](const Vec &pv) {
            return weighted_sum(
                w, ref::orthostochastic_forward(tokens, d, s, ref::cayley_forward(tokens, n, pv)));
        };
        const Vec fd = ref::numeric_gradient(loss, p, 1e-6);
        const Vec q = ref::cayley_forward(tokens, n, p);
        const Vec dq = ref::orthostochastic_backward(tokens, d, s, q, w);
        const Vec g = ref::cayley_backward(tokens, n, q, dq);
        CHECK(ref::normwise_error(g, fd) < 1e-7);
    }
}

TEST_CASE("stream read: forward by hand, backward vs finite differences") {
    // x = [[1,2],[3,4]] (d=2, C=2), h_pre = [0.5, 2] -> y = [6.5, 9].
    const Vec y = ref::stream_read_forward(1, 2, 2, Vec{1, 2, 3, 4}, Vec{0.5, 2});
    CHECK(ref::max_abs_error(y, Vec{6.5, 9}) == 0.0);

    ref::Rng rng(6);
    for (auto [tokens, d, c] : {std::tuple<int64_t, int, int64_t>{1, 1, 1}, {2, 3, 5}, {3, 4, 2}}) {
        CAPTURE(tokens);
        CAPTURE(d);
        CAPTURE(c);
        const Vec x = rng.normal_vec(size_t(tokens * d * c), 1.0);
        const Vec h_pre = rng.normal_vec(size_t(tokens * d), 1.0);
        const Vec w = rng.normal_vec(size_t(tokens * c), 1.0);
        const auto g = ref::stream_read_backward(tokens, d, c, x, h_pre, w);
        const Vec fd_x = ref::numeric_gradient(
            [&](const Vec &v) {
                return weighted_sum(w, ref::stream_read_forward(tokens, d, c, v, h_pre));
            },
            x);
        const Vec fd_h = ref::numeric_gradient(
            [&](const Vec &v) {
                return weighted_sum(w, ref::stream_read_forward(tokens, d, c, x, v));
            },
            h_pre);
        CHECK(ref::normwise_error(g.dx, fd_x) < 1e-8);
        CHECK(ref::normwise_error(g.dh_pre, fd_h) < 1e-8);
    }
}

TEST_CASE("stream write: forward by hand, backward vs finite differences") {
    // d=2, C=1: x = [1, 2], h_res = [[0.25, 0.75], [0.75, 0.25]], h_post = [2, -1], f = [4]
    // -> x_next = [0.25 + 1.5 + 8, 0.75 + 0.5 - 4] = [9.75, -2.75].
    const Vec out = ref::stream_write_forward(1, 2, 1, Vec{1, 2}, Vec{0.25, 0.75, 0.75, 0.25},
                                              Vec{2, -1}, Vec{4});
    CHECK(ref::max_abs_error(out, Vec{9.75, -2.75}) == 0.0);

    ref::Rng rng(7);
    for (auto [tokens, d, c] : {std::tuple<int64_t, int, int64_t>{1, 1, 1}, {2, 3, 5}, {3, 4, 2}}) {
        CAPTURE(tokens);
        CAPTURE(d);
        CAPTURE(c);
        const Vec x = rng.normal_vec(size_t(tokens * d * c), 1.0);
        const Vec h_res = rng.normal_vec(size_t(tokens * d * d), 1.0);
        const Vec h_post = rng.normal_vec(size_t(tokens * d), 1.0);
        const Vec f = rng.normal_vec(size_t(tokens * c), 1.0);
        const Vec w = rng.normal_vec(size_t(tokens * d * c), 1.0);
        const auto g = ref::stream_write_backward(tokens, d, c, x, h_res, h_post, f, w);
        auto fwd = [&](const Vec &xv, const Vec &hr, const Vec &hp, const Vec &fv) {
            return weighted_sum(w, ref::stream_write_forward(tokens, d, c, xv, hr, hp, fv));
        };
        const Vec fd_x =
            ref::numeric_gradient([&](const Vec &v) { return fwd(v, h_res, h_post, f); }, x);
        const Vec fd_res =
            ref::numeric_gradient([&](const Vec &v) { return fwd(x, v, h_post, f); }, h_res);
        const Vec fd_post =
            ref::numeric_gradient([&](const Vec &v) { return fwd(x, h_res, v, f); }, h_post);
        const Vec fd_f =
            ref::numeric_gradient([&](const Vec &v) { return fwd(x, h_res, h_post, v); }, f);
        CHECK(ref::normwise_error(g.dx, fd_x) < 1e-8);
        CHECK(ref::normwise_error(g.dh_res, fd_res) < 1e-8);
        CHECK(ref::normwise_error(g.dh_post, fd_post) < 1e-8);
        CHECK(ref::normwise_error(g.df, fd_f) < 1e-8);
    }
}
