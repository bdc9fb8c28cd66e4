// Tests of the float64 reference itself. Every kernel test trusts the
// reference, so it is checked here against hand-worked values, the algebraic
// identities of docs/math.md section 2, and finite differences. No kernel is involved.
#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <utility>

#include "gomhc_reference.h"
#include "layer_reference.h"

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

// ---------------------------------------------------------------------------
// The residual mixers and the hyper-connection layer (layer_reference.h).

namespace {

using ref::MixerMethod;

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace

TEST_CASE("mixer methods: names, logit counts, accepted shapes, go-kron split") {
    const auto methods = ref::all_mixer_methods();
    REQUIRE(methods.size() == 7);
    const char *expected[] = {"residual", "hc", "mhc", "mhc-lite", "kromhc", "go", "go-kron"};
    for (size_t i = 0; i < methods.size(); ++i) {
        CHECK(ref::mixer_method_name(methods[i]) == expected[i]);
        CHECK(ref::parse_mixer_method(expected[i]) == methods[i]);
    }
    CHECK_THROWS(ref::parse_mixer_method("mhc_lite"));
    CHECK_THROWS(ref::parse_mixer_method(""));

    CHECK(ref::mixer_logit_count(MixerMethod::residual, 1, 1) == 0);
    CHECK(ref::mixer_logit_count(MixerMethod::hc, 3, 1) == 9);
    CHECK(ref::mixer_logit_count(MixerMethod::mhc, 5, 2) == 25);  // s is ignored
    CHECK(ref::mixer_logit_count(MixerMethod::mhc_lite, 4, 1) == 24);
    CHECK(ref::mixer_logit_count(MixerMethod::mhc_lite, 8, 1) == 40320);
    CHECK(ref::mixer_logit_count(MixerMethod::kromhc, 1, 1) == 0);
    CHECK(ref::mixer_logit_count(MixerMethod::kromhc, 8, 3) == 3);
    CHECK(ref::mixer_logit_count(MixerMethod::go, 4, 2) == 28);
    CHECK(ref::mixer_logit_count(MixerMethod::go_kron, 4, 2) == 6 + 6);
    CHECK(ref::mixer_logit_count(MixerMethod::go_kron, 6, 1) == 1 + 3);
    CHECK(ref::mixer_logit_count(MixerMethod::go_kron, 12, 2) == 15 + 28);

    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::residual, 2, 1));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::mhc_lite, 9, 1));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::kromhc, 3, 1));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::kromhc, 12, 1));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::go_kron, 5, 1));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::go_kron, 2, 1));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::go, 33, 2));
    CHECK_FALSE(ref::mixer_shape_ok(MixerMethod::go, 4, 0));
    CHECK(ref::mixer_shape_ok(MixerMethod::go, 32, 2));
    CHECK(ref::mixer_shape_ok(MixerMethod::mhc_lite, 8, 1));
    CHECK_THROWS(ref::mixer_logit_count(MixerMethod::kromhc, 6, 1));

    // d1 = the largest divisor of d with 2 <= d1 <= sqrt(d).
    const std::tuple<int, int, int> splits[] = {{4, 2, 2},  {6, 2, 3},  {8, 2, 4},  {9, 3, 3},
                                                {12, 3, 4}, {16, 4, 4}, {18, 3, 6}, {64, 8, 8}};
    for (auto [d, d1, d2] : splits) {
        CAPTURE(d);
        int a = 0, b = 0;
        ref::go_kron_factors(d, &a, &b);
        CHECK(a == d1);
        CHECK(b == d2);
    }
    int a = 0, b = 0;
    CHECK_THROWS(ref::go_kron_factors(7, &a, &b));
    CHECK_THROWS(ref::go_kron_factors(3, &a, &b));
}

TEST_CASE("mixer worked values: residual, hc, kromhc, mhc-lite") {
    CHECK(ref::mixer_forward(MixerMethod::residual, 2, 1, 1, Vec{}) == Vec{1.0, 1.0});

    // hc returns the logits as they are.
    const Vec l{0.3, -2, 7, 0.1};
    CHECK(ref::mixer_forward(MixerMethod::hc, 1, 2, 1, l) == l);

    // kromhc d=2, logit 0: t = 1/2, all entries 1/2.
    CHECK(ref::max_abs_error(ref::mixer_forward(MixerMethod::kromhc, 1, 2, 1, Vec{0.0}),
                             Vec{0.5, 0.5, 0.5, 0.5}) == 0.0);
    // kromhc d=4: B_0 on the most significant bit of the row/column index.
    const double l0 = 1.3, l1 = -0.4, t0 = sigmoid(l0), t1 = sigmoid(l1);
    const Vec h4 = ref::mixer_forward(MixerMethod::kromhc, 1, 4, 1, Vec{l0, l1});
    CHECK(h4[0 * 4 + 0] == doctest::Approx(t0 * t1));
    CHECK(h4[0 * 4 + 1] == doctest::Approx(t0 * (1 - t1)));  // bit 0 differs: B_1
    CHECK(h4[0 * 4 + 2] == doctest::Approx((1 - t0) * t1));  // bit 1 differs: B_0
    CHECK(h4[2 * 4 + 1] == doctest::Approx((1 - t0) * (1 - t1)));
    CHECK(h4[3 * 4 + 3] == doctest::Approx(t0 * t1));
    CHECK(ref::mixer_forward(MixerMethod::kromhc, 1, 1, 1, Vec{}) == Vec{1.0});

    // mhc-lite d=2, logits (0, 0): identity and swap weighted 1/2 each.
    CHECK(ref::max_abs_error(ref::mixer_forward(MixerMethod::mhc_lite, 1, 2, 1, Vec{0.0, 0.0}),
                             Vec{0.5, 0.5, 0.5, 0.5}) < 1e-15);
    // Lexicographic order for d=3: 012 021 102 120 201 210.
    const auto perms = ref::permutations_lex(3);
    REQUIRE(perms.size() == 6);
    CHECK(perms[0] == std::vector<int>{0, 1, 2});
    CHECK(perms[1] == std::vector<int>{0, 2, 1});
    CHECK(perms[3] == std::vector<int>{1, 2, 0});
    CHECK(perms[5] == std::vector<int>{2, 1, 0});
    CHECK(ref::permutations_lex(5).size() == 120);
    // All the weight on permutation 3 (1 2 0): H[0][1] = H[1][2] = H[2][0] = 1.
    const Vec h3 = ref::mixer_forward(MixerMethod::mhc_lite, 1, 3, 1, Vec{0, 0, 0, 200, 0, 0});
    CHECK(ref::max_abs_error(h3, Vec{0, 1, 0, 0, 0, 1, 1, 0, 0}) < 1e-15);
    // Weights (w_k) = softmax(logits) are spread as H[i][perm_k[i]] += w_k.
    const Vec lw{0.2, -1, 0.5, 0.1, -0.3, 0.9};
    Vec w(6);
    double z = 0;
    for (int k = 0; k < 6; ++k) {
        z += std::exp(lw[size_t(k)]);
    }
    for (int k = 0; k < 6; ++k) {
        w[size_t(k)] = std::exp(lw[size_t(k)]) / z;
    }
    const Vec hw = ref::mixer_forward(MixerMethod::mhc_lite, 1, 3, 1, lw);
    CHECK(hw[0 * 3 + 0] == doctest::Approx(w[0] + w[1]));
    CHECK(hw[1 * 3 + 0] == doctest::Approx(w[2] + w[4]));  // 102, 201
    CHECK(hw[2 * 3 + 1] == doctest::Approx(w[1] + w[4]));  // 021, 201
}

TEST_CASE("mhc: log-domain Sinkhorn, 20 iterations") {
    // The log of a positive doubly stochastic matrix is a fixed point: the
    // first row and column normalisations change nothing.
    const Vec p{0.2, 0.5, 0.3, 0.45, 0.15, 0.4, 0.35, 0.35, 0.3};
    REQUIRE(ref::max_row_sum_error(1, 3, p) < 1e-15);
    REQUIRE(ref::max_col_sum_error(1, 3, p) < 1e-15);
    Vec lp = p;
    for (double &v : lp) {
        v = std::log(v);
    }
    CHECK(ref::max_abs_error(ref::mixer_forward(MixerMethod::mhc, 1, 3, 1, lp), p) < 1e-14);

    // One iteration by hand, d=2, L = [[0, 1], [2, 0]]: columns exact.
    const Vec l{0, 1, 2, 0};
    const Vec h1 = ref::sinkhorn(2, l.data(), 1);
    const double f0 = -std::log(1 + std::exp(1.0)), f1 = -std::log(std::exp(2.0) + 1);
    const double g0 = -std::log(std::exp(f0) + std::exp(2 + f1));
    CHECK(h1[0] == doctest::Approx(std::exp(f0 + g0)));
    CHECK(h1[2] == doctest::Approx(std::exp(2 + f1 + g0)));
    CHECK(ref::max_col_sum_error(1, 2, h1) < 1e-15);

    ref::Rng rng(21);
    for (int d : {2, 3, 4, 8}) {
        CAPTURE(d);
        const int64_t tokens = 64;
        const Vec l1 = rng.normal_vec(size_t(tokens * d * d), 1.0);
        const Vec l10 = rng.normal_vec(size_t(tokens * d * d), 10.0);
        const Vec h = ref::mixer_forward(MixerMethod::mhc, tokens, d, 1, l10);
        CHECK(ref::min_entry(h) >= 0.0);
        // Columns are normalised last: exact. Rows are not, and at sigma = 10
        // twenty iterations leave them far from 1 even in float64.
        CHECK(ref::max_col_sum_error(tokens, d, h) < 1e-12);
        CHECK(ref::max_row_sum_error(tokens, d, h) > 1e-3);
        // ... which more iterations would cure: the iteration, not float64, is the limit.
        Vec many;
        for (int64_t t = 0; t < tokens; ++t) {
            const Vec ht = ref::sinkhorn(d, l1.data() + t * d * d, 2000);
            many.insert(many.end(), ht.begin(), ht.end());
        }
        CHECK(ref::max_row_sum_error(tokens, d, many) < 1e-9);

        // Rows are normalised first (from g = 0), so adding a constant to a
        // row of L changes nothing at all, even after finitely many iterations.
        Vec shifted = l1;
        for (int64_t t = 0; t < tokens; ++t) {
            for (int j = 0; j < d; ++j) {
                shifted[size_t(t * d * d + 1 * d + j)] += 3.0;  // row 1
            }
        }
        CHECK(ref::max_abs_error(ref::mixer_forward(MixerMethod::mhc, tokens, d, 1, shifted),
                                 ref::mixer_forward(MixerMethod::mhc, tokens, d, 1, l1)) < 1e-12);
    }
}

TEST_CASE("go and go-kron mixers are the Cayley/projection pipeline and its Kronecker product") {
    ref::Rng rng(22);
    for (auto [d, s] : {std::pair<int, int>{2, 1}, {3, 2}, {4, 2}, {5, 1}}) {
        CAPTURE(d);
        CAPTURE(s);
        const int64_t tokens = 3;
        const Vec p = rng.normal_vec(size_t(tokens * ref::pair_count(d * s)), 1.0);
        const Vec expected =
            ref::orthostochastic_forward(tokens, d, s, ref::cayley_forward(tokens, d * s, p));
        CHECK(ref::mixer_forward(MixerMethod::go, tokens, d, s, p) == expected);
    }
    for (auto [d, s] : {std::pair<int, int>{4, 1}, {4, 2}, {6, 1}, {6, 2}, {9, 1}, {8, 2}}) {
        CAPTURE(d);
        CAPTURE(s);
        int d1 = 0, d2 = 0;
        ref::go_kron_factors(d, &d1, &d2);
        const int64_t p1 = ref::pair_count(d1 * s), p2 = ref::pair_count(d2 * s);
        const Vec l = rng.normal_vec(size_t(p1 + p2), 1.0);
        const Vec h1 =
            ref::mixer_forward(MixerMethod::go, 1, d1, s, Vec(l.begin(), l.begin() + p1));
        const Vec h2 = ref::mixer_forward(MixerMethod::go, 1, d2, s, Vec(l.begin() + p1, l.end()));
        const Vec h = ref::mixer_forward(MixerMethod::go_kron, 1, d, s, l);
        double err = 0.0;
        for (int i = 0; i < d; ++i) {
            for (int j = 0; j < d; ++j) {
                const double e =
                    h1[size_t((i / d2) * d1 + j / d2)] * h2[size_t((i % d2) * d2 + j % d2)];
                err = std::max(err, std::fabs(h[size_t(i * d + j)] - e));
            }
        }
        CHECK(err == 0.0);
    }
}

TEST_CASE("the exact mixers are doubly stochastic in float64 at every logit scale") {
    ref::Rng rng(23);
    const std::tuple<MixerMethod, int, int> cases[] = {
        {MixerMethod::go, 4, 2},       {MixerMethod::go, 5, 3},
        {MixerMethod::mhc_lite, 3, 1}, {MixerMethod::mhc_lite, 5, 1},
        {MixerMethod::kromhc, 2, 1},   {MixerMethod::kromhc, 16, 1},
        {MixerMethod::go_kron, 6, 2},  {MixerMethod::go_kron, 16, 2},
        {MixerMethod::residual, 1, 1}};
    for (auto [method, d, s] : cases) {
        for (double sigma : {0.01, 1.0, 10.0, 100.0}) {
            CAPTURE(ref::mixer_method_name(method));
            CAPTURE(d);
            CAPTURE(sigma);
            const int64_t tokens = 5;
            const Vec l =
                rng.normal_vec(size_t(tokens * ref::mixer_logit_count(method, d, s)), sigma);
            const Vec h = ref::mixer_forward(method, tokens, d, s, l);
            CHECK(ref::max_row_sum_error(tokens, d, h) < 1e-12);
            CHECK(ref::max_col_sum_error(tokens, d, h) < 1e-12);
            CHECK(ref::min_entry(h) >= 0.0);
        }
    }
}

TEST_CASE("layer: parameter layout") {
    const ref::LayerShape go{MixerMethod::go, 4, 2, 5};
    const auto lay = ref::layer_param_layout(go);
    CHECK(lay.k == 8 + 28);
    CHECK(lay.w == 0);
    CHECK(lay.b == 36 * 20);
    CHECK(lay.a_pre == 36 * 20 + 36);
    CHECK(lay.a_post == lay.a_pre + 1);
    CHECK(lay.a_res == lay.a_pre + 2);
    CHECK(lay.count == 36 * 20 + 36 + 3);
    CHECK(ref::layer_param_count({MixerMethod::residual, 1, 1, 7}) == 0);
    CHECK(ref::layer_coefficient_count({MixerMethod::kromhc, 8, 1, 3}) == 16 + 3);
    CHECK_THROWS(ref::layer_param_count({MixerMethod::residual, 2, 1, 7}));
}

TEST_CASE("layer: residual is y = x, x_next = x + f") {
    ref::Rng rng(24);
    const ref::LayerShape shape{MixerMethod::residual, 1, 1, 5};
    const Vec x = rng.normal_vec(15, 1.0), f = rng.normal_vec(15, 1.0);
    const auto fw = ref::layer_forward(shape, 3, Vec{}, x, f);
    CHECK(fw.y == x);
    for (size_t i = 0; i < x.size(); ++i) {
        CHECK(fw.x_next[i] == x[i] + f[i]);
    }
    CHECK(fw.h_res == Vec{1, 1, 1});
    // F = identity: x_next = 2x.
    const auto id = ref::layer_forward_identity(shape, 3, Vec{}, x);
    for (size_t i = 0; i < x.size(); ++i) {
        CHECK(id.x_next[i] == 2 * x[i]);
    }
}

TEST_CASE("layer: hand-worked hc layer, d=2, C=2") {
    // K = 2d + d*d = 8 coefficients, W [8][4], b [8], a_pre, a_post, a_res.
    const ref::LayerShape shape{MixerMethod::hc, 2, 1, 2};
    const auto lay = ref::layer_param_layout(shape);
    Vec p(size_t(lay.count), 0.0);
    // x = [[3, 4], [0, 0]]: mean square 25/4, x' = x / sqrt(6.25 + 1e-6).
    const Vec x{3, 4, 0, 0};
    const double rms = std::sqrt(6.25 + 1e-6);
    p[size_t(lay.w + 0 * 4 + 0)] = 1.0;  // z_0 = x'_0
    p[size_t(lay.w + 3 * 4 + 1)] = 2.0;  // z_3 = 2 x'_1 (H_post[1])
    p[size_t(lay.w + 5 * 4 + 0)] = 1.0;  // z_5 = x'_0 (H_res[0][1])
    const Vec b{0.5, -1.0, 0.0, 0.25, 1.0, 0.2, 0.3, 0.9};
    std::copy(b.begin(), b.end(), p.begin() + lay.b);
    p[size_t(lay.a_pre)] = 2.0;
    p[size_t(lay.a_post)] = 3.0;
    p[size_t(lay.a_res)] = -1.0;
    const Vec f{10, -1};
    const auto fw = ref::layer_forward(shape, 1, p, x, f);

    const Vec h_pre{sigmoid(2.0 * 3 / rms + 0.5), sigmoid(-1.0)};
    const Vec h_post{2 * sigmoid(0.0), 2 * sigmoid(3.0 * 8 / rms + 0.25)};
    const Vec h_res{1.0, -3 / rms + 0.2, 0.3, 0.9};
    CHECK(ref::max_abs_error(fw.x_norm, Vec{3 / rms, 4 / rms, 0, 0}) < 1e-15);
    CHECK(ref::max_abs_error(fw.h_pre, h_pre) < 1e-15);
    CHECK(ref::max_abs_error(fw.h_post, h_post) < 1e-15);
    CHECK(ref::max_abs_error(fw.h_res, h_res) < 1e-15);
    // y = h_pre[0] x[0] + h_pre[1] x[1]
    CHECK(ref::max_abs_error(fw.y, Vec{3 * h_pre[0], 4 * h_pre[0]}) < 1e-15);
    // x_next[i] = sum_j h_res[i][j] x[j] + h_post[i] f
    const Vec x_next{3 + h_post[0] * 10, 4 - h_post[0], h_res[2] * 3 + h_post[1] * 10,
                     h_res[2] * 4 - h_post[1]};
    CHECK(ref::max_abs_error(fw.x_next, x_next) < 1e-14);
    // The eps is inside the square root: it matters only for a tiny x.
    const Vec tiny{1e-4, 0, 0, 0};
    CHECK(ref::layer_forward(shape, 1, p, tiny, f).x_norm[0] ==
          doctest::Approx(1e-4 / std::sqrt(0.25e-8 + 1e-6)));
}

TEST_CASE("coefficient path: backward vs finite differences of every input") {
    ref::Rng rng(26);
    // (tokens, d, C, K): K = 2d exactly (no residual logits) and wider.
    for (auto [tokens, d, c, k] :
         {std::tuple<int64_t, int, int64_t, int64_t>{1, 1, 1, 2}, {2, 2, 3, 7}, {3, 3, 2, 6}}) {
        CAPTURE(tokens);
        CAPTURE(d);
        CAPTURE(c);
        CAPTURE(k);
        const int64_t dc = d * c;
        const Vec x = rng.normal_vec(size_t(tokens * dc), 1.0);
        const Vec w = rng.normal_vec(size_t(k * dc), 0.5);
        const Vec b = rng.normal_vec(size_t(k), 0.5);
        const Vec a = rng.normal_vec(3, 1.0);
        const Vec dy = rng.normal_vec(size_t(tokens * c), 1.0);
        const Vec dh_post = rng.normal_vec(size_t(tokens * d), 1.0);
        const Vec dlogits = rng.normal_vec(size_t(tokens * (k - 2 * d)), 1.0);
        auto loss = [&](const Vec &x_, const Vec &w_, const Vec &b_, const Vec &a_) {
            const auto fw = ref::coefficient_forward(tokens, d, c, k, x_, w_, b_, a_);
            const Vec y = ref::stream_read_forward(tokens, d, c, x_, fw.h_pre);
            return ref::dot(dy, y) + ref::dot(dh_post, fw.h_post) + ref::dot(dlogits, fw.logits);
        };
        const auto g = ref::coefficient_backward(tokens, d, c, k, x, w, b, a, dy, dh_post, dlogits);
        const Vec fd_x =
            ref::numeric_gradient([&](const Vec &v) { return loss(v, w, b, a); }, x, 1e-6);
        const Vec fd_w =
            ref::numeric_gradient([&](const Vec &v) { return loss(x, v, b, a); }, w, 1e-6);
        const Vec fd_b =
            ref::numeric_gradient([&](const Vec &v) { return loss(x, w, v, a); }, b, 1e-6);
        const Vec fd_a =
            ref::numeric_gradient([&](const Vec &v) { return loss(x, w, b, v); }, a, 1e-6);
        CHECK(ref::normwise_error(g.dx, fd_x) < 1e-7);
        CHECK(ref::normwise_error(g.dw, fd_w) < 1e-7);
        CHECK(ref::normwise_error(g.db, fd_b) < 1e-7);
        CHECK(ref::normwise_error(g.da, fd_a) < 1e-7);
    }
}

TEST_CASE("layer: coefficients are invariant to the scale of x (RMSNorm)") {
    ref::Rng rng(25);
    for (MixerMethod m : {MixerMethod::go, MixerMethod::mhc, MixerMethod::kromhc}) {
        const ref::LayerShape shape{m, 4, 2, 3};
        const Vec p = rng.normal_vec(size_t(ref::layer_param_count(shape)), 0.5);
        const Vec x = rng.normal_vec(24, 1.0), f = rng.normal_vec(6, 1.0);
        Vec x3 = x;
        for (double &v : x3) {
            v *= 3.0;
        }
        const auto a = ref::layer_forward(shape, 2, p, x, f);
        const auto b = ref::layer_forward(shape, 2, p, x3, f);
        CHECK(ref::max_abs_error(a.h_pre, b.h_pre) < 1e-6);
        CHECK(ref::max_abs_error(a.h_post, b.h_post) < 1e-6);
        CHECK(ref::max_abs_error(a.h_res, b.h_res) < 1e-6);
    }
}

TEST_CASE("layer: the finite-difference losses agree with the stream-mixing backward") {
    // Pieces whose gradient the plain stream backward gives: df, and (for hc,
    // whose logits are H_res) db_res = dH_res, db_post = dH_post * H_post (1 - H_post/2),
    // db_pre = dH_pre * H_pre (1 - H_pre).
    ref::Rng rng(26);
    const ref::LayerShape shape{MixerMethod::hc, 3, 1, 4};
    const int64_t tokens = 2, d = 3, c = 4;
    const auto lay = ref::layer_param_layout(shape);
    Vec p = rng.normal_vec(size_t(lay.count), 0.3);
    const Vec x = rng.normal_vec(size_t(tokens * d * c), 1.0);
    const Vec f = rng.normal_vec(size_t(tokens * c), 1.0);
    const Vec g = rng.normal_vec(size_t(tokens * d * c), 1.0);
    const Vec gy = rng.normal_vec(size_t(tokens * c), 1.0);

    const auto fw = ref::layer_forward(shape, tokens, p, x, f);
    const auto sw = ref::stream_write_backward(tokens, int(d), c, x, fw.h_res, fw.h_post, f, g);
    const auto sr = ref::stream_read_backward(tokens, int(d), c, x, fw.h_pre, gy);
    auto loss = [&](const Vec &pv, const Vec &fv) {
        return ref::layer_loss(shape, tokens, pv, x, fv, g, gy);
    };
    const Vec fd_f = ref::numeric_gradient([&](const Vec &v) { return loss(p, v); }, f);
    CHECK(ref::normwise_error(fd_f, sw.df) < 1e-8);

    const Vec fd_p = ref::numeric_gradient([&](const Vec &v) { return loss(v, f); }, p);
    Vec db(size_t(lay.k), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        for (int64_t j = 0; j < d; ++j) {
            const double hp = fw.h_pre[size_t(t * d + j)], hq = fw.h_post[size_t(t * d + j)];
            db[size_t(j)] += sr.dh_pre[size_t(t * d + j)] * hp * (1 - hp);
            db[size_t(d + j)] += sw.dh_post[size_t(t * d + j)] * hq * (1 - hq / 2);
        }
        for (int64_t r = 0; r < d * d; ++r) {
            db[size_t(2 * d + r)] += sw.dh_res[size_t(t * d * d + r)];
        }
    }
    CHECK(ref::normwise_error(Vec(fd_p.begin() + lay.b, fd_p.begin() + lay.b + lay.k), db) < 1e-8);

    // F = identity: the loss is the independent-f loss at f = y, and its x
    // gradient adds the path through y.
    const Vec y = fw.y;
    CHECK(ref::layer_loss_identity(shape, tokens, p, x, g) ==
          doctest::Approx(ref::layer_loss(shape, tokens, p, x, y, g, Vec{})).epsilon(1e-14));
}
