// The causal-attention softmax (gomhc::causal_softmax_forward / backward)
// against the float64 reference: masking above the diagonal, rows summing
// to 1, the reference backward against finite differences, 1 vs 2 threads
// bitwise, shapes checked.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernel_util.h"
#include "model_reference.h"

namespace ref = gomhc::reference;
using gomhc::TensorView;
using gomhc_test::HostBackend;
using gomhc_test::throws_error_naming;
using ref::Vec;

TEST_CASE("causal_softmax: forward and backward match the float64 reference") {
    const int64_t heads = 3;
    const double scale = 1.0 / std::sqrt(16.0);
    for (int64_t t : {1, 5, 33}) {
        INFO("T = " << t);
        ref::Rng rng(static_cast<uint64_t>(t));
        const Vec scores = gomhc_test::normal_f32(rng, heads * t * t, 3.0);
        const Vec dprobs = gomhc_test::normal_f32(rng, heads * t * t, 1.0);
        HostBackend b;
        const auto probs = b.output({heads, t, t}), dscores = b.output({heads, t, t});
        gomhc::causal_softmax_forward(float(scale), b.input(scores, {heads, t, t}), probs);
        const Vec got = b.download(probs);
        const Vec want = ref::causal_softmax_forward(heads, t, scale, scores);
        CHECK(ref::max_abs_error(got, want) <= 1e-6);
        for (int64_t q = 0; q < t; q++) {
            double sum = 0.0;
            for (int64_t k = 0; k < t; k++) {
                const double p = got[size_t(q * t + k)];
                if (k > q) {
                    CHECK(p == 0.0);
                }
                sum += p;
            }
            CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
        }
        const Vec probs32 = ref::round_to_float(want);
        gomhc::causal_softmax_backward(float(scale), b.input(probs32, {heads, t, t}),
                                       b.input(dprobs, {heads, t, t}), dscores);
        const Vec want_ds = ref::causal_softmax_backward(heads, t, scale, probs32, dprobs);
        CHECK(ref::max_abs_error(b.download(dscores), want_ds) <=
              1e-5 * std::max(1.0, ref::max_abs(want_ds)));
    }
}

TEST_CASE("causal_softmax: the reference backward matches finite differences") {
    const int64_t heads = 2, t = 6;
    const double scale = 0.7, h = 1e-6;
    ref::Rng rng(3);
    const Vec scores = rng.normal_vec(size_t(heads * t * t), 1.0);
    const Vec dprobs = rng.normal_vec(size_t(heads * t * t), 1.0);
    const auto objective = [&](const Vec &s) {
        const Vec p = ref::causal_softmax_forward(heads, t, scale, s);
        double total = 0.0;
        for (size_t i = 0; i < p.size(); i++) {
            total += dprobs[i] * p[i];
        }
        return total;
    };
    const Vec grad = ref::causal_softmax_backward(
        heads, t, scale, ref::causal_softmax_forward(heads, t, scale, scores), dprobs);
    for (size_t i = 0; i < scores.size(); i++) {
        Vec plus = scores, minus = scores;
        plus[i] += h;
        minus[i] -= h;
        CHECK(std::abs((objective(plus) - objective(minus)) / (2 * h) - grad[i]) <= 1e-7);
    }
}

TEST_CASE("causal_softmax: 1 and 2 threads give bitwise the same results") {
    const int64_t heads = 8, t = 40;
    ref::Rng rng(4);
    const Vec scores = gomhc_test::normal_f32(rng, heads * t * t, 2.0);
    HostBackend b;
    const auto in = b.input(scores, {heads, t, t});
    Vec outs[2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        const auto probs = b.output({heads, t, t});
        gomhc::causal_softmax_forward(0.25f, in, probs);
        outs[threads - 1] = b.download(probs);
    }
    gomhc::set_num_threads(0);
    CHECK(outs[0] == outs[1]);
}

TEST_CASE("causal_softmax: shapes are checked, naming the argument") {
    std::vector<float> buf(256, 0.5f);
    const auto scores = TensorView::host(static_cast<const float *>(buf.data()), {2, 3, 3});
    CHECK(throws_error_naming(
        [&] {
            gomhc::causal_softmax_forward(
                1.0f, TensorView::host(static_cast<const float *>(buf.data()), {2, 3, 4}),
                TensorView::host(buf.data(), {2, 3, 4}));
        },
        {"scores", "[H][T][T]"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::causal_softmax_forward(1.0f, scores, TensorView::host(buf.data(), {2, 3, 2}));
        },
        {"probs"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::causal_softmax_backward(1.0f, scores,
                                           TensorView::host(buf.data() + 64, {1, 3, 3}),
                                           TensorView::host(buf.data() + 128, {2, 3, 3}));
        },
        {"dprobs"}));
}
