// The embedding (gomhc::embedding_forward / embedding_backward) against the
// float64 reference of reference/model_reference.h: streams, repeated ids,
// accumulation into the tables, 1 vs 2 threads bitwise, bad ids and shapes.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "kernel_util.h"
#include "model_reference.h"

namespace ref = gomhc::reference;
using gomhc::TensorView;
using gomhc::TokenView;
using gomhc_test::HostBackend;
using gomhc_test::throws_error_naming;
using ref::Vec;

namespace {

constexpr double kTol = 1e-6;

}  // namespace

TEST_CASE("embedding: forward and backward match the float64 reference, for d = 1 and 4") {
    const int64_t batch = 3, t = 7, vocab = 5, positions = 9, c = 37;
    for (int64_t d : {1, 4}) {
        INFO("d = " << d);
        ref::Rng rng(11 + uint64_t(d));
        const ref::Ids ids = gomhc_test::random_token_ids(rng, batch * t, vocab);
        const Vec wte = gomhc_test::normal_f32(rng, vocab * c, 1.0);
        const Vec wpe = gomhc_test::normal_f32(rng, positions * c, 1.0);
        const Vec dout = gomhc_test::normal_f32(rng, batch * t * d * c, 1.0);
        const Vec prior_wte = gomhc_test::normal_f32(rng, vocab * c, 1.0);
        const Vec prior_wpe = gomhc_test::normal_f32(rng, positions * c, 1.0);
        HostBackend b;
        const TokenView tokens = TokenView::host(ids.data(), {batch, t});
        const auto out = b.output({batch, t, d, c});
        gomhc::embedding_forward(tokens, b.input(wte, {vocab, c}), b.input(wpe, {positions, c}),
                                 out);
        const Vec expected = ref::embedding_forward(batch, t, d, c, ids, wte, wpe);
        CHECK(ref::max_abs_error(b.download(out), expected) <= kTol);

        // The backward adds into what the tables' gradients already hold.
        const auto dwte = b.input(prior_wte, {vocab, c}), dwpe = b.input(prior_wpe, {positions, c});
        gomhc::embedding_backward(tokens, b.input(dout, {batch, t, d, c}), dwte, dwpe);
        const ref::EmbeddingBackward g =
            ref::embedding_backward(batch, t, d, c, vocab, positions, ids, dout);
        Vec want_wte = g.dwte, want_wpe = g.dwpe;
        for (size_t i = 0; i < want_wte.size(); i++) {
            want_wte[i] += prior_wte[i];
        }
        for (size_t i = 0; i < want_wpe.size(); i++) {
            want_wpe[i] += prior_wpe[i];
        }
        CHECK(ref::max_abs_error(b.download(dwte), want_wte) <= 1e-5 * ref::max_abs(want_wte));
        CHECK(ref::max_abs_error(b.download(dwpe), want_wpe) <= 1e-5 * ref::max_abs(want_wpe));
    }
}

TEST_CASE("embedding: the backward is the adjoint of the forward") {
    // <dout, forward(wte, wpe)> is linear in (wte, wpe), with gradient backward(dout).
    const int64_t batch = 2, t = 4, vocab = 3, positions = 4, c = 5, d = 2;
    ref::Rng rng(5);
    const ref::Ids ids = gomhc_test::random_token_ids(rng, batch * t, vocab);
    const Vec wte = rng.normal_vec(size_t(vocab * c), 1.0);
    const Vec wpe = rng.normal_vec(size_t(positions * c), 1.0);
    const Vec dout = rng.normal_vec(size_t(batch * t * d * c), 1.0);
    const Vec out = ref::embedding_forward(batch, t, d, c, ids, wte, wpe);
    const ref::EmbeddingBackward g =
        ref::embedding_backward(batch, t, d, c, vocab, positions, ids, dout);
    double lhs = 0.0, rhs = 0.0;
    for (size_t i = 0; i < out.size(); i++) {
        lhs += dout[i] * out[i];
    }
    for (size_t i = 0; i < wte.size(); i++) {
        rhs += g.dwte[i] * wte[i];
    }
    for (size_t i = 0; i < wpe.size(); i++) {
        rhs += g.dwpe[i] * wpe[i];
    }
    CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
}

TEST_CASE("embedding: 1 and 2 threads give bitwise the same gradients") {
    const int64_t batch = 8, t = 64, vocab = 7, c = 96, d = 2;
    ref::Rng rng(9);
    const ref::Ids ids = gomhc_test::random_token_ids(rng, batch * t, vocab);
    const Vec dout = gomhc_test::normal_f32(rng, batch * t * d * c, 1.0);
    HostBackend b;
    const auto doutv = b.input(dout, {batch, t, d, c});
    Vec results[2][2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        const auto dwte = b.input(Vec(size_t(vocab * c), 0.0), {vocab, c});
        const auto dwpe = b.input(Vec(size_t(t * c), 0.0), {t, c});
        gomhc::embedding_backward(TokenView::host(ids.data(), {batch, t}), doutv, dwte, dwpe);
        results[threads - 1][0] = b.download(dwte);
        results[threads - 1][1] = b.download(dwpe);
    }
    gomhc::set_num_threads(0);
    CHECK(results[0][0] == results[1][0]);
    CHECK(results[0][1] == results[1][1]);
}

TEST_CASE("embedding: ids outside the vocabulary and bad shapes are refused, naming them") {
    const int64_t batch = 1, t = 3, vocab = 4, c = 2;
    std::vector<float> table(64, 0.5f), out(64, 0.0f);
    const auto wte = TensorView::host(static_cast<const float *>(table.data()), {vocab, c});
    const auto wpe = TensorView::host(static_cast<const float *>(table.data()), {t, c});
    const ref::Ids bad = {0, 4, 1};
    CHECK(throws_error_naming(
        [&] {
            gomhc::embedding_forward(TokenView::host(bad.data(), {batch, t}), wte, wpe,
                                     TensorView::host(out.data(), {batch, t, 1, c}));
        },
        {"tokens", "4", "flat index 1", "vocabulary"}));
    const ref::Ids negative = {0, -1, 1};
    CHECK(throws_error_naming(
        [&] {
            gomhc::embedding_forward(TokenView::host(negative.data(), {batch, t}), wte, wpe,
                                     TensorView::host(out.data(), {batch, t, 1, c}));
        },
        {"tokens", "-1"}));
    const ref::Ids good = {0, 1, 2};
    CHECK(throws_error_naming(
        [&] {
            gomhc::embedding_forward(
                TokenView::host(good.data(), {batch, t}), wte,
                TensorView::host(static_cast<const float *>(table.data()), {t - 1, c}),
                TensorView::host(out.data(), {batch, t, 1, c}));
        },
        {"wpe", "P >= T"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::embedding_forward(TokenView::host(good.data(), {batch, t}), wte, wpe,
                                     TensorView::host(out.data(), {batch, t, 1, c + 1}));
        },
        {"out", "[B][T][d][C]"}));
    CHECK(throws_error_naming(
        [&] {
            gomhc::embedding_backward(TokenView::host(good.data(), {batch, t}),
                                      TensorView::host(out.data(), {batch, t, 2, c}),
                                      TensorView::host(out.data(), {vocab, c}),
                                      TensorView::host(out.data(), {t, c + 1}));
        },
        {"dwpe"}));
}
