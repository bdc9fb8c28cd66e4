// The softmax cross-entropy (gomhc::cross_entropy_forward / backward) over a
// padded vocabulary against the float64 reference: padding ignored and its
// gradient zero, large logits, the reference backward against finite
// differences, the in-place backward, 1 vs 2 threads bitwise, bad targets.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_util.h"
#include "model_reference.h"

namespace ref = gomhc::reference;
using gomhc::TensorView;
using gomhc::TokenView;
using gomhc_test::HostBackend;
using gomhc_test::throws_error_naming;
using ref::Vec;

TEST_CASE("cross_entropy: forward and backward match the float64 reference") {
    const int64_t tokens = 19, vocab = 257, padded = 264;
    ref::Rng rng(2);
    Vec logits = gomhc_test::normal_f32(rng, tokens * padded, 4.0);
    // Padding entries far above the real logits must change nothing.
    for (int64_t t = 0; t < tokens; t++) {
        for (int64_t v = vocab; v < padded; v++) {
            logits[size_t(t * padded + v)] = 1e4;
        }
    }
    logits[3] = 80.0;  // a large logit: the max is subtracted before exp
    const ref::Ids targets = gomhc_test::random_token_ids(rng, tokens, vocab);
    const float scale = 1.0f / float(tokens);
    HostBackend b;
    const auto lv = b.input(logits, {tokens, padded});
    const TokenView tv = TokenView::host(targets.data(), {tokens});
    const auto loss = b.output({tokens}), lse = b.output({tokens});
    gomhc::cross_entropy_forward(vocab, lv, tv, loss, lse);
    const ref::CrossEntropyForward want =
        ref::cross_entropy_forward(tokens, padded, vocab, logits, targets);
    CHECK(ref::max_abs_error(b.download(loss), want.loss) <= 1e-5 * ref::max_abs(want.lse));
    CHECK(ref::max_abs_error(b.download(lse), want.lse) <= 1e-5 * ref::max_abs(want.lse));

    const auto dlogits = b.output({tokens, padded});
    gomhc::cross_entropy_backward(vocab, scale, lv, tv, lse, dlogits);
    const Vec got = b.download(dlogits);
    const Vec want_d = ref::cross_entropy_backward(tokens, padded, vocab, scale, logits, targets);
    CHECK(ref::max_abs_error(got, want_d) <= 1e-6);
    for (int64_t t = 0; t < tokens; t++) {
        for (int64_t v = vocab; v < padded; v++) {
            CHECK(got[size_t(t * padded + v)] == 0.0);
        }
    }

    // In place: the gradient overwrites the logits.
    gomhc::cross_entropy_backward(vocab, scale, lv, tv, lse, lv);
    CHECK(b.download(lv) == got);
}

TEST_CASE("cross_entropy: uniform logits give ln(vocab)") {
    const int64_t tokens = 4, vocab = 256;
    const Vec logits(size_t(tokens * vocab), 0.0);
    const ref::Ids targets = {0, 1, 255, 7};
    HostBackend b;
    const auto loss = b.output({tokens}), lse = b.output({tokens});
    gomhc::cross_entropy_forward(vocab, b.input(logits, {tokens, vocab}),
                                 TokenView::host(targets.data(), {tokens}), loss, lse);
    for (double l : b.download(loss)) {
        CHECK(l == doctest::Approx(std::log(256.0)).epsilon(1e-6));
    }
}

TEST_CASE("cross_entropy: the reference backward matches finite differences") {
    const int64_t tokens = 3, vocab = 7, padded = 8;
    ref::Rng rng(6);
    const Vec logits = rng.normal_vec(size_t(tokens * padded), 2.0);
    const ref::Ids targets = gomhc_test::random_token_ids(rng, tokens, vocab);
    const double scale = 0.5, h = 1e-6;
    const auto objective = [&](const Vec &l) {
        const Vec loss = ref::cross_entropy_forward(tokens, padded, vocab, l, targets).loss;
        double total = 0.0;
        for (double x : loss) {
            total += scale * x;
        }
        return total;
    };
    const Vec grad = ref::cross_entropy_backward(tokens, padded, vocab, scale, logits, targets);
    for (size_t i = 0; i < logits.size(); i++) {
        Vec plus = logits, minus = logits;
        plus[i] += h;
        minus[i] -= h;
        CHECK(std::abs((objective(plus) - objective(minus)) / (2 * h) - grad[i]) <= 1e-8);
    }
}

TEST_CASE("cross_entropy: 1 and 2 threads give bitwise the same results") {
    const int64_t tokens = 300, vocab = 256;
    ref::Rng rng(8);
    const Vec logits = gomhc_test::normal_f32(rng, tokens * vocab, 2.0);
    const ref::Ids targets = gomhc_test::random_token_ids(rng, tokens, vocab);
    HostBackend b;
    const auto lv = b.input(logits, {tokens, vocab});
    const TokenView tv = TokenView::host(targets.data(), {tokens});
    Vec outs[2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        const auto loss = b.output({tokens}), lse = b.output({tokens});
        const auto dl = b.output({tokens, vocab});
        gomhc::cross_entropy_forward(vocab, lv, tv, loss, lse);
        gomhc::cross_entropy_backward(vocab, 0.01f, lv, tv, lse, dl);
        outs[threads - 1] = b.download(loss);
        const Vec d = b.download(dl);
        outs[threads - 1].insert(outs[threads - 1].end(), d.begin(), d.end());
    }
    gomhc::set_num_threads(0);
    CHECK(outs[0] == outs[1]);
}

TEST_CASE("cross_entropy: bad targets, vocab and shapes are refused, naming them") {
    std::vector<float> buf(256, 0.0f);
    const auto logits = TensorView::host(static_cast<const float *>(buf.data()), {2, 8});
    const auto loss = TensorView::host(buf.data() + 64, {2});
    const auto lse = TensorView::host(buf.data() + 96, {2});
    const ref::Ids bad = {1, 6};
    CHECK(throws_error_naming(
        [&] {
            gomhc::cross_entropy_forward(6, logits, TokenView::host(bad.data(), {2}), loss, lse);
        },
        {"targets", "6", "vocabulary"}));
    const ref::Ids good = {1, 2};
    CHECK(throws_error_naming(
        [&] {
            gomhc::cross_entropy_forward(9, logits, TokenView::host(good.data(), {2}), loss, lse);
        },
        {"vocab = 9", "Vp = 8"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cross_entropy_forward(8, logits, TokenView::host(good.data(), {1}), loss, lse);
        },
        {"targets", "[T]"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::cross_entropy_backward(8, 1.0f, logits, TokenView::host(good.data(), {2}), lse,
                                          TensorView::host(buf.data() + 128, {2, 7}));
        },
        {"dlogits"}));
}
