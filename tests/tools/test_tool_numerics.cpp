// The numerics behind `gomhc synth` and `gomhc spectrum` that need no
// kernels: eigenvalues, the Karpelevic region and its coverage grid, the
// synthetic task's targets, data, loss and Adam, and the argument helpers.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numeric>
#include <random>
#include <vector>

#include "common/adam.h"
#include "common/cli.h"
#include "plot/gnuplot.h"
#include "spectrum/eigenvalues.h"
#include "spectrum/karpelevic.h"
#include "spectrum/reach.h"
#include "synth/synth_task.h"

using Complex = std::complex<double>;
using namespace gomhc::tools;

namespace {

const double kPi = 3.14159265358979323846;

// The largest distance from an entry of `got` to its nearest unused entry of
// `expected` (the two as multisets).
double multiset_error(std::vector<Complex> got, std::vector<Complex> expected) {
    REQUIRE(got.size() == expected.size());
    double worst = 0;
    for (const Complex &z : got) {
        auto nearest = std::min_element(expected.begin(), expected.end(), [&](auto a, auto b) {
            return std::abs(a - z) < std::abs(b - z);
        });
        worst = std::max(worst, std::abs(*nearest - z));
        expected.erase(nearest);
    }
    return worst;
}

std::vector<double> permutation(const std::vector<int> &perm) {
    const int n = int(perm.size());
    std::vector<double> m(size_t(n) * n, 0.0);
    for (int i = 0; i < n; i++) m[size_t(i) * n + perm[i]] = 1;
    return m;
}

// The eigenvalues of a permutation: the k-th roots of unity for each k-cycle.
std::vector<Complex> cycle_roots(const std::vector<int> &perm) {
    std::vector<Complex> roots;
    std::vector<char> seen(perm.size(), 0);
    for (size_t i = 0; i < perm.size(); i++) {
        int length = 0;
        for (size_t j = i; !seen[j]; j = perm[j]) {
            seen[j] = 1;
            length++;
        }
        for (int k = 0; k < length; k++) roots.push_back(std::polar(1.0, 2 * kPi * k / length));
    }
    return roots;
}

}  // namespace

TEST_CASE("eigenvalues of permutation matrices are roots of unity") {
    std::mt19937_64 rng(1);
    for (int n = 1; n <= 16; n++) {
        CAPTURE(n);
        std::vector<int> cycle(n);
        for (int i = 0; i < n; i++) cycle[i] = (i + 1) % n;
        CHECK(multiset_error(eigenvalues(n, permutation(cycle)), cycle_roots(cycle)) < 1e-10);
        for (int trial = 0; trial < 5; trial++) {
            std::vector<int> perm(n);
            std::iota(perm.begin(), perm.end(), 0);
            std::shuffle(perm.begin(), perm.end(), rng);
            CHECK(multiset_error(eigenvalues(n, permutation(perm)), cycle_roots(perm)) < 1e-10);
        }
    }
}

TEST_CASE("eigenvalues of triangular matrices are their diagonals") {
    std::mt19937_64 rng(2);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int n = 1; n <= 16; n++) {
        CAPTURE(n);
        for (bool upper : {true, false}) {
            std::vector<double> a(size_t(n) * n);
            for (double &v : a) v = normal(rng);
            std::vector<Complex> diagonal;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (upper ? j < i : j > i) a[size_t(i) * n + j] = 0;
                }
                diagonal.push_back(a[size_t(i) * n + i]);
            }
            CHECK(multiset_error(eigenvalues(n, a), diagonal) < 1e-8);
        }
    }
}

TEST_CASE("eigenvalues of 2 x 2 rotations and of similar block-diagonal matrices") {
    for (double angle : {0.0, 0.3, 1.0, kPi / 2, 3.0, kPi}) {
        const std::vector<double> r{std::cos(angle), -std::sin(angle), std::sin(angle),
                                    std::cos(angle)};
        CHECK(multiset_error(eigenvalues(2, r), {std::polar(1.0, angle), std::polar(1.0, -angle)}) <
              1e-12);
    }
    // Q D Q^T with D block diagonal (known eigenvalues) and Q a reflection.
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int n = 2; n <= 16; n++) {
        std::vector<double> d(size_t(n) * n, 0.0);
        std::vector<Complex> expected;
        for (int i = 0; i < n;) {
            if (i + 1 < n && u(rng) > 0) {
                const double re = u(rng), im = u(rng);
                d[size_t(i) * n + i] = d[size_t(i + 1) * n + i + 1] = re;
                d[size_t(i) * n + i + 1] = im;
                d[size_t(i + 1) * n + i] = -im;
                expected.push_back({re, im});
                expected.push_back({re, -im});
                i += 2;
            } else {
                expected.push_back(d[size_t(i) * n + i] = u(rng));
                i++;
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 2; j < n; j++) d[size_t(i) * n + j] = u(rng);
        std::vector<double> v(n);
        double norm = 0;
        for (double &x : v) {
            x = u(rng);
            norm += x * x;
        }
        std::vector<double> q(size_t(n) * n), qd(size_t(n) * n, 0.0), a(size_t(n) * n, 0.0);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) q[size_t(i) * n + j] = (i == j) - 2 * v[i] * v[j] / norm;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++)
                    qd[size_t(i) * n + j] += q[size_t(i) * n + k] * d[size_t(k) * n + j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++)
                    a[size_t(i) * n + j] += qd[size_t(i) * n + k] * q[size_t(k) * n + j];
        CAPTURE(n);
        CHECK(multiset_error(eigenvalues(n, a), expected) < 1e-8);
    }
}

TEST_CASE("eigenvalues converge on clustered and degenerate mixers") {
    // A Kronecker product of two 2 x 2 mixers near the identity: two pairs of
    // nearly equal eigenvalues, where QR iterations converge slowly.
    const std::vector<double> near_identity{
        0.999993503,    2.04412941e-12, 6.49992671e-06, 1.32867772e-17,
        2.04412941e-12, 0.999993503,    1.32867772e-17, 6.49992671e-06,
        6.49992671e-06, 1.32867772e-17, 0.999993503,    2.04412941e-12,
        1.32867772e-17, 6.49992671e-06, 2.04412941e-12, 0.999993503};
    const double t0 = 1 - 6.49992671e-06, t1 = 1 - 2.04412941e-12;
    CHECK(multiset_error(eigenvalues(4, near_identity),
                         {1.0, 2 * t0 - 1, 2 * t1 - 1, (2 * t0 - 1) * (2 * t1 - 1)}) < 1e-7);
    const std::vector<double> zero(9, 0.0), ones(16, 0.25);
    CHECK(multiset_error(eigenvalues(3, zero), {0.0, 0.0, 0.0}) == 0);
    CHECK(multiset_error(eigenvalues(4, ones), {1.0, 0.0, 0.0, 0.0}) < 1e-12);
    CHECK_THROWS(eigenvalues(2, std::vector<double>{1, std::nan(""), 0, 1}));
    CHECK_THROWS(eigenvalues(2, std::vector<double>{1, 2, 3}));
}

TEST_CASE("Farey sequences") {
    using P = std::pair<int, int>;
    CHECK(farey_sequence(4) ==
          std::vector<P>{{0, 1}, {1, 4}, {1, 3}, {1, 2}, {2, 3}, {3, 4}, {1, 1}});
    CHECK(farey_sequence(5, 0, 1, 1, 2) ==
          std::vector<P>{{0, 1}, {1, 5}, {1, 4}, {1, 3}, {2, 5}, {1, 2}});
}

TEST_CASE("the Karpelevic boundary passes through the roots of unity of order <= d") {
    for (int d = 2; d <= 12; d++) {
        CAPTURE(d);
        const KarpelevicRegion region(d);
        const auto &b = region.upper_boundary();
        CHECK(b.front() == Complex(1, 0));
        CHECK(std::abs(b.back() - Complex(-1, 0)) < 1e-15);
        for (const auto &[p, q] : farey_sequence(d, 0, 1, 1, 2)) {
            const Complex root = std::polar(1.0, 2 * kPi * p / q);
            double nearest = 1e9;
            for (const Complex &z : b) nearest = std::min(nearest, std::abs(z - root));
            CHECK(nearest < 1e-12);
        }
        double previous = -1;
        for (const Complex &z : b) {  // inside the unit disc, in order of angle
            CHECK(std::abs(z) <= 1 + 1e-12);
            CHECK(z.imag() >= -1e-12);
            if (z.imag() > 1e-9) {
                CHECK(std::arg(z) >= previous - 1e-9);
                previous = std::max(previous, std::arg(z));
            }
        }
    }
}

TEST_CASE("Theta_2 is [-1, 1] and Theta_3 is the triangle of the cube roots of unity") {
    const KarpelevicRegion two(2), three(3);
    CHECK_FALSE(two.has_interior());
    CHECK_FALSE(two.contains({0.0, 0.01}));
    CHECK(three.has_interior());
    int mismatches = 0;
    for (int i = 0; i < 300; i++) {
        for (int j = 0; j < 300; j++) {
            const Complex z(-1 + (i + 0.5) / 150, -1 + (j + 0.5) / 150);
            const bool triangle =
                z.real() > -0.5 && std::abs(z.imag()) < (1 - z.real()) / std::sqrt(3.0);
            mismatches += triangle != three.contains(z);
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("Theta_4: the segment from 1 to i, then curved arcs through e^{2 pi i/3} to -1") {
    const KarpelevicRegion four(4);
    CHECK(four.contains({0.49, 0.49}));
    CHECK_FALSE(four.contains({0.51, 0.51}));
    CHECK(four.contains({-0.49, 0.8}));        // near e^{2 pi i / 3} = -0.5 + 0.866 i
    CHECK_FALSE(four.contains({-0.3, 0.82}));  // the arc from i to e^{2 pi i/3} bulges inwards
    CHECK(four.contains({-0.5, -0.8}));        // symmetric
    CHECK_FALSE(four.contains({-0.95, 0.1}));  // the cusp at -1
    // Its area is about 2.148 (the grid says so to 0.01).
    const CoverageGrid grid(four, 200);
    CHECK(std::abs(grid.region_cells() * 1e-4 - 2.148) < 0.01);
}

TEST_CASE("eigenvalues of random stochastic matrices lie in Theta_d") {
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int d = 3; d <= 6; d++) {
        const KarpelevicRegion region(d);
        int outside = 0;
        for (int trial = 0; trial < 3000; trial++) {
            std::vector<double> a(size_t(d) * d);
            for (int i = 0; i < d; i++) {
                double sum = 0;
                for (int j = 0; j < d; j++) {  // dense, sparse and peaked rows
                    const double v = trial % 3 == 0   ? u(rng)
                                     : trial % 3 == 1 ? (u(rng) < 0.3 ? u(rng) : 0)
                                                      : std::pow(u(rng), 8);
                    sum += a[size_t(i) * d + j] = v;
                }
                if (sum == 0) a[size_t(i) * d + (i + 1) % d] = sum = 1;
                for (int j = 0; j < d; j++) a[size_t(i) * d + j] /= sum;
            }
            for (const Complex &z : eigenvalues(d, a)) {
                if (std::abs(z.imag()) > 1e-9 && !region.contains(z * (1 - 1e-6))) outside++;
            }
        }
        CAPTURE(d);
        CHECK(outside == 0);
    }
}

TEST_CASE("coverage grid") {
    const KarpelevicRegion four(4), eight(8);
    CoverageGrid grid(four, 200);
    CHECK(grid.coverage() == 0);
    grid.add({0.0, 0.0});
    grid.add({0.001, 0.001});  // same cell
    grid.add({0.99, 0.99});    // outside Theta_4: not counted
    grid.add({1.5, 0.0});      // outside the grid
    CHECK(grid.hit_cells() == 1);
    CHECK(grid.coverage() == doctest::Approx(1.0 / grid.region_cells()));
    CoverageGrid wide(eight, 200);
    wide.add({1.0000001, 0.0});  // rounding past 1 lands in the edge cell (inside Theta_8)
    CHECK(wide.hit_cells() == 1);
    const KarpelevicRegion two(2);
    CoverageGrid line(two, 200);
    CHECK(line.region_cells() == 200);
    line.add({-1.0, 0.0});
    line.add({0.5, 1e-3});  // off the axis
    CHECK(line.hit_cells() == 1);
}

TEST_CASE("reach search helpers") {
    // d/dH log|det(H - w I)|^2 against central differences.
    const int d = 4;
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> h(d * d), grad(d * d);
    for (float &v : h) v = float(u(rng));
    const Complex w(0.1, 0.3);
    REQUIRE(log_det_gradient(d, h.data(), w, grad.data()));
    auto objective = [&](const std::vector<double> &m) {
        // |det|^2 by complex LU (no pivoting needed for this well-conditioned case)
        std::vector<Complex> a(d * d);
        for (int i = 0; i < d * d; i++) a[i] = m[i] - (i % (d + 1) == 0 ? w : 0.0);
        Complex det = 1;
        for (int c = 0; c < d; c++) {
            det *= a[c * d + c];
            for (int r = c + 1; r < d; r++) {
                const Complex f = a[r * d + c] / a[c * d + c];
                for (int j = c; j < d; j++) a[r * d + j] -= f * a[c * d + j];
            }
        }
        return std::log(std::norm(det));
    };
    for (int k = 0; k < d * d; k++) {
        std::vector<double> up(h.begin(), h.end()), down(h.begin(), h.end());
        up[k] += 1e-6;
        down[k] -= 1e-6;
        CAPTURE(k);
        CHECK(grad[k] == doctest::Approx((objective(up) - objective(down)) / 2e-6).epsilon(1e-4));
    }
    const std::vector<float> identity{1, 0, 0, 1};
    std::vector<float> g2(4);
    CHECK_FALSE(log_det_gradient(2, identity.data(), 1.0, g2.data()));  // singular
    const KarpelevicRegion four(4), two(2);
    for (int i = 0; i < 1000; i++) {
        CHECK(four.contains(sample_region_point(four, rng)));
        const Complex z = sample_region_point(two, rng);
        CHECK(z.imag() == 0);
        CHECK(std::abs(z.real()) <= 1);
    }
}

TEST_CASE("synthetic targets are doubly stochastic; the cycles are where they should be") {
    using namespace gomhc::tools::synth;
    for (int d : {2, 3, 4, 8}) {
        const auto targets = make_targets(d, 64, TargetSet::mixed, 7);
        REQUIRE(targets.size() == 64);
        for (const Matrix &m : targets) CHECK(doubly_stochastic_error(m, d) < 1e-12);
        CHECK(targets[0] == cycle_matrix(d, d));
        CHECK(make_targets(d, 64, TargetSet::mixed, 7) == targets);  // deterministic
    }
    const auto four = make_targets(4, 64, TargetSet::mixed, 1);
    CHECK(four[2] == cycle_matrix(4, 3));
    const Matrix c3 = cycle_matrix(4, 3);  // 0 -> 1 -> 2 -> 0, stream 3 fixed
    CHECK(c3 == Matrix{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1});
    for (const Matrix &m : make_targets(4, 64, TargetSet::cycle3, 1)) CHECK(m == c3);
    CHECK_THROWS(make_targets(2, 64, TargetSet::cycle3, 1));
    CHECK(parse_target_set("cycle3") == TargetSet::cycle3);
    CHECK_THROWS(parse_target_set("cycle4"));
}

TEST_CASE("the synthetic task's floor is 0.1^2/3, reached by the true mixers") {
    using namespace gomhc::tools::synth;
    const int d = 4;
    const auto targets = make_targets(d, 64, TargetSet::mixed, 3);
    const Dataset data = make_dataset(targets, d, 100, 3);
    std::vector<float> h;
    for (const Matrix &m : targets)
        for (double v : m) h.push_back(float(v));
    std::vector<float> grad;
    const double loss = mse_loss(mix(data, h), data.y, &grad);
    CHECK(loss == doctest::Approx(kMinimumLoss).epsilon(0.03));
    // The gradient is d loss / d pred: check one entry against a difference.
    std::vector<float> pred = mix(data, h);
    const size_t k = 1234;
    const float step = 1e-3f;
    pred[k] += step;
    const double up = mse_loss(pred, data.y, nullptr);
    pred[k] -= 2 * step;
    const double down = mse_loss(pred, data.y, nullptr);
    CHECK(grad[k] == doctest::Approx((up - down) / (2 * step)).epsilon(1e-3));
}

TEST_CASE("Adam minimises a quadratic and reports convergence epochs") {
    using namespace gomhc::tools::synth;
    std::vector<float> p{3.0f, -2.0f};
    Adam adam(p.size(), 0.05);
    std::vector<double> losses;
    for (int i = 0; i < 400; i++) {
        losses.push_back(p[0] * p[0] + p[1] * p[1]);
        adam.step(p, {2 * p[0], 2 * p[1]});
    }
    CHECK(std::abs(p[0]) < 0.05);
    CHECK(std::abs(p[1]) < 0.05);
    // The first Adam step moves each parameter by lr, whatever its gradient.
    std::vector<float> q{1.0f, 1.0f};
    Adam first(2, 1e-3);
    first.step(q, {1e-6f, 100.0f});
    CHECK(q[0] == doctest::Approx(1 - 1e-3).epsilon(1e-4));
    CHECK(q[1] == doctest::Approx(1 - 1e-3).epsilon(1e-6));
    CHECK(epochs_to_converge({10, 5, 2, 1.04, 1.0}) == 3);
    CHECK(epochs_to_converge({1.0}) == 0);
    CHECK(epochs_to_converge({}) == -1);
}

TEST_CASE("method lists") {
    const auto methods = parse_method_list("go,go:1,mhc", 2);
    REQUIRE(methods.size() == 3);
    CHECK(methods[0].name == "go");
    CHECK(methods[0].s == 2);
    CHECK(methods[1].s == 1);
    CHECK(methods[1].s_given);
    CHECK_THROWS_AS(parse_method_list("go:0", 2), UsageError);
    CHECK_THROWS_AS(parse_method_list("go:x", 2), UsageError);
    CHECK_THROWS_AS(parse_method_list(",", 2), UsageError);
    CHECK(gnuplot_string("it's") == "'it''s'");
}

TEST_CASE("eigenvalue derivatives from LAPACK's left and right vectors match differences") {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int n : {2, 3, 4, 6}) {
        std::vector<double> a(size_t(n) * n);
        for (double &v : a) v = u(rng);
        const EigenDecomposition e = eigen_decomposition(n, a.data());
        for (int k = 0; k < n; k++) {
            // A v = lambda v and u^H A = lambda u^H.
            for (int i = 0; i < n; i++) {
                Complex av = 0, ua = 0;
                for (int j = 0; j < n; j++) {
                    av += a[size_t(i) * n + j] * e.right[size_t(j) * n + k];
                    ua += std::conj(e.left[size_t(j) * n + k]) * a[size_t(j) * n + i];
                }
                CHECK(std::abs(av - e.values[size_t(k)] * e.right[size_t(i) * n + k]) < 1e-10);
                CHECK(std::abs(ua - e.values[size_t(k)] * std::conj(e.left[size_t(i) * n + k])) <
                      1e-10);
            }
            std::vector<Complex> grad(a.size());
            REQUIRE(eigenvalue_derivative(e, k, grad.data()));
            const int p = k % n, q = (k + 1) % n;
            const double h = 1e-6;
            std::vector<double> up = a, down = a;
            up[size_t(p) * n + q] += h;
            down[size_t(p) * n + q] -= h;
            // The matching eigenvalue of the nudged matrices: the nearest one.
            const auto nearest = [&](const std::vector<double> &m) {
                Complex best = 0;
                for (const Complex &z : eigenvalues(n, m)) {
                    if (std::abs(z - e.values[size_t(k)]) < std::abs(best - e.values[size_t(k)]) ||
                        best == Complex(0))
                        best = z;
                }
                return best;
            };
            const Complex difference = (nearest(up) - nearest(down)) / (2 * h);
            CHECK(std::abs(difference - grad[size_t(p) * n + q]) < 1e-5);
        }
    }
    // A Jordan block is defective: no derivative.
    const std::vector<double> jordan{1, 1, 0, 1};
    std::vector<Complex> grad(4);
    CHECK_FALSE(eigenvalue_derivative(eigen_decomposition(2, jordan.data()), 0, grad.data()));
}

TEST_CASE("the notebook's nearest-eigenvalue loss and its gradient") {
    // The 3-cycle: eigenvalues 1 and e^{+-2 pi i/3}.
    const std::vector<float> cycle{0, 0, 1, 1, 0, 0, 0, 1, 0};
    std::vector<float> grad(9);
    Complex nearest;
    const Complex w(-0.4, 0.8);
    const double loss = nearest_eigenvalue_loss(3, cycle.data(), w, grad.data(), &nearest);
    CHECK(std::abs(nearest - std::polar(1.0, 2 * kPi / 3)) < 1e-6);
    CHECK(loss == doctest::Approx(std::norm(nearest - w)).epsilon(1e-9));
    // Against central differences on a random doubly stochastic-ish matrix.
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> m(16);
    for (float &v : m) v = u(rng);
    const Complex target(0.1, 0.3);
    grad.assign(16, 0.0f);
    nearest_eigenvalue_loss(4, m.data(), target, grad.data(), &nearest);
    for (size_t i = 0; i < m.size(); i++) {
        std::vector<float> up = m, down = m, scratch(16);
        const float h = 1e-3f;
        up[i] += h;
        down[i] -= h;
        Complex z;
        const double difference =
            (nearest_eigenvalue_loss(4, up.data(), target, scratch.data(), &z) -
             nearest_eigenvalue_loss(4, down.data(), target, scratch.data(), &z)) /
            (2 * double(h));
        CHECK(grad[i] == doctest::Approx(difference).epsilon(2e-2).scale(1e-3));
    }
}

TEST_CASE("the notebook's targets and inputs") {
    using namespace gomhc::tools::synth;
    for (int d : {2, 4, 7}) {
        for (TargetSet set : {TargetSet::sinkhorn, TargetSet::birkhoff}) {
            const auto targets = make_targets(d, 16, set, 3);
            for (const Matrix &m : targets) CHECK(doubly_stochastic_error(m, d) < 1e-6);
            CHECK(targets[0] != targets[1]);
        }
    }
    CHECK_THROWS(make_targets(8, 4, TargetSet::birkhoff, 1));
    CHECK(parse_target_set("sinkhorn") == TargetSet::sinkhorn);
    const int d = 4, samples = 2000;
    const auto targets = make_targets(d, 2, TargetSet::sinkhorn, 1);
    // The notebook's inputs: u ~ U[0,1) times the kept count, d without sparsity.
    const Dataset dense = make_dataset(targets, d, samples, 1, {0.0, true});
    double mean = 0, largest = 0;
    for (float v : dense.x) {
        mean += v;
        largest = std::max(largest, double(v));
    }
    mean /= double(dense.x.size());
    CHECK(mean == doctest::Approx(d / 2.0).epsilon(0.05));
    CHECK(largest <= d);
    const Dataset sparse = make_dataset(targets, d, samples, 1, {0.5, false});
    size_t zeros = 0;
    for (float v : sparse.x) zeros += v == 0;
    CHECK(double(zeros) / double(sparse.x.size()) == doctest::Approx(0.5).epsilon(0.05));
    CHECK_THROWS(make_dataset(targets, d, samples, 1, {1.0, false}));
    // The per-target losses average to the loss.
    std::vector<float> h;
    for (const Matrix &m : targets)
        for (double v : m) h.push_back(float(v) * 0.9f);
    const std::vector<float> pred = mix(dense, h);
    const std::vector<double> per = per_target_loss(dense, pred);
    CHECK((per[0] + per[1]) / 2 == doctest::Approx(mse_loss(pred, dense.y, nullptr)).epsilon(1e-9));
}
