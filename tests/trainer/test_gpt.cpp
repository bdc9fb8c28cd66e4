// The trainer's GPT (trainer/gpt.h) against the float64 reference of the
// whole model (reference/gpt_reference.h), for every residual method: the
// loss, the analytic gradients against central finite differences of the
// reference loss (one entry of every tensor, and random directions), the
// loss at initialisation near ln(vocab), one batch overfit, bitwise equal
// runs on 1 and 2 threads, and the linear layers on their own.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "gpt.h"
#include "gpt_reference.h"
#include "linear.h"
#include "matmul.h"

namespace ref = gomhc::reference;
using gomhc::Method;
using gomhc::trainer::Gpt;
using gomhc::trainer::GptConfig;
using gomhc::trainer::stream_output_name;
using gomhc::trainer::StreamOutput;
using ref::Vec;

namespace {

struct MethodCase {
    Method method;
    int d, s;
};

std::vector<MethodCase> method_cases() {
    return {{Method::residual, 1, 1}, {Method::hc, 2, 1},     {Method::mhc, 4, 1},
            {Method::mhc_lite, 3, 1}, {Method::kromhc, 4, 1}, {Method::go, 4, 2},
            {Method::go_kron, 4, 1}};
}

GptConfig tiny(const MethodCase &m) {
    GptConfig c;
    c.vocab = 61;
    c.padded_vocab = 128;
    c.layers = 2;
    c.width = 16;
    c.heads = 2;
    c.context = 8;
    c.method = m.method;
    c.d = m.d;
    c.s = m.s;
    c.seed = 5;
    return c;
}

// Batches of `batch` x t ids below `vocab`, seeded.
struct Batch {
    ref::Ids tokens, targets;
};

Batch batch_of(uint64_t seed, int64_t count, int64_t vocab);

// The streams' mean pairwise cosine after the last block, after `steps`
// AdamW steps on one batch.
double cosine_after_training(const GptConfig &cfg, int steps);

ref::GptShape reference_shape(const GptConfig &c) {
    return {c.vocab,
            c.padded_vocab,
            c.layers,
            c.width,
            c.heads,
            c.context,
            ref::parse_mixer_method(gomhc::method_name(c.method)),
            c.d,
            c.s,
            c.output != StreamOutput::sum_then_norm,
            c.output == StreamOutput::mean ? 1.0 / c.d : 1.0};
}

std::map<std::string, int64_t> offsets_of(const Gpt &gpt) {
    std::map<std::string, int64_t> out;
    for (const auto &t : gpt.layout()) {
        out[t.name] = t.offset;
    }
    return out;
}

ref::Ids random_ids(std::mt19937_64 &rng, int64_t count, int64_t vocab) {
    ref::Ids ids(static_cast<size_t>(count));
    for (auto &id : ids) {
        id = int32_t(rng() % uint64_t(vocab));
    }
    return ids;
}

int64_t tensor_size(const gomhc::trainer::ParamTensor &t) {
    int64_t size = 1;
    for (int64_t e : t.shape) {
        size *= e;
    }
    return size;
}

}  // namespace

TEST_CASE("gpt: loss and gradients match the float64 reference for every method") {
    const int64_t batch = 2, t = 8;
    std::vector<GptConfig> configs;
    for (const MethodCase &mc : method_cases()) {
        configs.push_back(tiny(mc));
    }
    // The other ways to combine the streams too.
    for (StreamOutput output : {StreamOutput::sum, StreamOutput::sum_then_norm}) {
        configs.push_back(tiny(method_cases()[5]));
        configs.back().output = output;
    }
    for (const GptConfig &cfg : configs) {
        INFO("method " << gomhc::method_name(cfg.method) << " d = " << cfg.d << " s = " << cfg.s
                       << ", output " << stream_output_name(cfg.output));
        Gpt gpt(cfg, batch);
        std::mt19937_64 rng(17);
        const ref::Ids tokens = random_ids(rng, batch * t, cfg.vocab);
        const ref::Ids targets = random_ids(rng, batch * t, cfg.vocab);
        const float loss = gpt.forward(tokens.data(), targets.data(), batch, t);
        gpt.backward(1.0f);
        const int64_t count = gpt.num_params();
        const Vec params(gpt.params(), gpt.params() + count);
        const Vec grads(gpt.grads(), gpt.grads() + count);
        const auto offsets = offsets_of(gpt);
        const ref::GptShape shape = reference_shape(cfg);
        const auto ref_loss = [&](const Vec &p) {
            return ref::gpt_loss(shape, offsets, p, tokens, targets, batch, t);
        };
        CHECK(double(loss) == doctest::Approx(ref_loss(params)).epsilon(1e-5));

        const double h = 1e-5;
        for (const auto &tensor : gpt.layout()) {
            const int64_t size = tensor_size(tensor);
            // wte's padding rows get no gradient; test a real row.
            const int64_t live = tensor.name == "wte" ? cfg.vocab * cfg.width : size;
            double scale = 0.0;
            for (int64_t i = 0; i < live; i++) {
                scale = std::max(scale, std::abs(grads[size_t(tensor.offset + i)]));
            }
            const int64_t i = tensor.offset + int64_t(rng() % uint64_t(live));
            Vec plus = params, minus = params;
            plus[size_t(i)] += h;
            minus[size_t(i)] -= h;
            const double fd = (ref_loss(plus) - ref_loss(minus)) / (2 * h);
            INFO(tensor.name << " entry " << i - tensor.offset << ": analytic " << grads[size_t(i)]
                             << ", finite differences " << fd << ", tensor scale " << scale);
            CHECK(std::abs(grads[size_t(i)] - fd) <= 2e-3 * scale + 1e-6);
        }
        for (int direction = 0; direction < 2; direction++) {
            std::normal_distribution<double> normal;
            Vec u(static_cast<size_t>(count));
            for (auto &x : u) {
                x = normal(rng);
            }
            Vec plus = params, minus = params;
            double analytic = 0.0;
            for (int64_t i = 0; i < count; i++) {
                plus[size_t(i)] += h * u[size_t(i)];
                minus[size_t(i)] -= h * u[size_t(i)];
                analytic += grads[size_t(i)] * u[size_t(i)];
            }
            const double fd = (ref_loss(plus) - ref_loss(minus)) / (2 * h);
            INFO("direction " << direction << ": analytic " << analytic << ", fd " << fd);
            CHECK(analytic == doctest::Approx(fd).epsilon(2e-3));
        }
    }
}

TEST_CASE("gpt: the loss at initialisation is within 0.1 of ln(vocab)") {
    GptConfig cfg = tiny(method_cases()[5]);
    cfg.vocab = 256;
    cfg.padded_vocab = 256;
    const int64_t batch = 4, t = 8;
    Gpt gpt(cfg, batch);
    std::mt19937_64 rng(3);
    const ref::Ids tokens = random_ids(rng, batch * t, cfg.vocab);
    const ref::Ids targets = random_ids(rng, batch * t, cfg.vocab);
    const float loss = gpt.forward(tokens.data(), targets.data(), batch, t);
    CHECK(std::abs(double(loss) - std::log(256.0)) <= 0.1);
}

TEST_CASE("gpt: one batch is overfit by AdamW, for residual and go") {
    for (const MethodCase &mc : {method_cases()[0], method_cases()[5]}) {
        INFO("method " << gomhc::method_name(mc.method));
        const GptConfig cfg = tiny(mc);
        const int64_t batch = 2, t = 8;
        Gpt gpt(cfg, batch);
        std::mt19937_64 rng(9);
        const ref::Ids tokens = random_ids(rng, batch * t, cfg.vocab);
        const ref::Ids targets = random_ids(rng, batch * t, cfg.vocab);
        gomhc::Adamw opt(gpt.num_params(), {});
        float norm2 = 0.0f, first = 0.0f, last = 0.0f;
        for (int step = 0; step < 150; step++) {
            gpt.zero_grads();
            last = gpt.forward(tokens.data(), targets.data(), batch, t);
            first = step == 0 ? last : first;
            gpt.backward(1.0f);
            const gomhc::TensorView grads = gpt.grads_view();
            gomhc::squared_norm(grads, gomhc::TensorView::host(&norm2, {1}));
            opt.step(gpt.params_view(), grads, gomhc::TensorView::host(&norm2, {1}),
                     {3e-2f, 0.9f, 0.95f, 1e-8f, 0.0f, 1.0f});
        }
        INFO("loss " << first << " -> " << last);
        CHECK(last < 0.2f);
    }
}

TEST_CASE("gpt: 1 and 2 threads give bitwise the same loss and gradients") {
    const GptConfig cfg = tiny(method_cases()[5]);
    const int64_t batch = 2, t = 8;
    std::mt19937_64 rng(4);
    const ref::Ids tokens = random_ids(rng, batch * t, cfg.vocab);
    const ref::Ids targets = random_ids(rng, batch * t, cfg.vocab);
    std::vector<float> results[2];
    for (int threads : {1, 2}) {
        gomhc::set_num_threads(threads);
        Gpt gpt(cfg, batch);
        const float loss = gpt.forward(tokens.data(), targets.data(), batch, t);
        gpt.backward(1.0f);
        results[threads - 1].assign(gpt.grads(), gpt.grads() + gpt.num_params());
        results[threads - 1].push_back(loss);
    }
    gomhc::set_num_threads(0);
    CHECK(results[0] == results[1]);
}

TEST_CASE("gpt: the host's products, sliced over gomhc's pool, match float64 and one whole call") {
    using gomhc::trainer::matmul;
    using gomhc::trainer::matmul_batched;
    using gomhc::trainer::MatrixArg;
    using gomhc::trainer::set_blas_threads;
    // Above the slicing threshold (m n k > 4 * 65536), with an odd row count
    // and row strides wider than the matrices, as the attention's heads have.
    const int64_t m = 77, n = 70, k = 65, lda = 80, ldb = 81, ldc = 73, count = 3;
    std::mt19937_64 rng(21);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> a(size_t(count * 90 * lda)), b(size_t(count * 90 * ldb));
    for (auto &v : a) v = uniform(rng);
    for (auto &v : b) v = uniform(rng);
    const int64_t stride_a = 90 * lda, stride_b = 90 * ldb, stride_c = m * ldc;
    for (const bool ta : {false, true}) {
        for (const bool tb : {false, true}) {
            const auto at = [&](int64_t i, int64_t r, int64_t q) {  // op(A)_i[r][q]
                return double(a[size_t(i * stride_a + (ta ? q * lda + r : r * lda + q))]);
            };
            const auto bt = [&](int64_t i, int64_t q, int64_t col) {
                return double(b[size_t(i * stride_b + (tb ? col * ldb + q : q * ldb + col))]);
            };
            std::vector<float> results[3];
            // 1 and 2 threads of gomhc's pool; OpenBLAS's own pool of 2.
            for (int mode = 0; mode < 3; mode++) {
                gomhc::set_num_threads(mode == 0 ? 1 : 2);
                set_blas_threads(mode == 2 ? 2 : 0);
                std::vector<float> c(size_t(count * stride_c) + 1, 0.5f);
                const MatrixArg A{a.data(), 0, lda, ta}, B{b.data(), 0, ldb, tb};
                matmul(gomhc::Device::host, m, n, k, 1.5f, A, B, 0.0f, {c.data(), 0, ldc, false});
                matmul_batched(gomhc::Device::host, count - 1, m, n, k, 1.0f,
                               {a.data(), stride_a, lda, ta}, stride_a,
                               {b.data(), stride_b, ldb, tb}, stride_b, 1.0f,
                               {c.data(), stride_c, ldc, false}, stride_c);
                results[mode] = c;
            }
            set_blas_threads(0);
            gomhc::set_num_threads(0);
            INFO("op(A) " << std::string(ta ? "A^T" : "A") << ", op(B) "
                          << std::string(tb ? "B^T" : "B"));
            // One whole call (1 thread) and 16-row-aligned slices (2 threads):
            // bitwise the same.
            CHECK(results[0] == results[1]);
            // C in float64: 1.5 A B for the first product, 0.5 + A B for the
            // batch's; 0.5 (as filled) beyond column n.
            std::vector<double> want(size_t(count * stride_c));
            for (int64_t i = 0; i < count; i++) {
                for (int64_t r = 0; r < m; r++) {
                    for (int64_t col = 0; col < ldc; col++) {
                        double sum = (i == 0 && col < n) ? 0.0 : 0.5;
                        for (int64_t q = 0; col < n && q < k; q++) {
                            sum += (i == 0 ? 1.5 : 1.0) * at(i, r, q) * bt(i, q, col);
                        }
                        want[size_t(i * stride_c + r * ldc + col)] = sum;
                    }
                }
            }
            for (int mode = 0; mode < 3; mode++) {
                double worst = 0.0;
                for (size_t e = 0; e < want.size(); e++) {
                    worst = std::max(worst, std::abs(double(results[mode][e]) - want[e]));
                }
                INFO("mode " << mode);
                CHECK(worst < 1e-4);
                CHECK(results[mode].back() == 0.5f);  // nothing written past the last product
            }
        }
    }
}

TEST_CASE("gpt: a linear layer is y = x W^T, dx = dy W, dW += dy^T x, and refuses other shapes") {
    using gomhc::TensorView;
    const int64_t n = 3, in = 4, out = 2;
    std::mt19937_64 rng(11);
    const auto random = [&](int64_t count) {
        std::vector<float> v(static_cast<size_t>(count));
        for (auto &e : v) {
            e = float(double(rng() >> 11) * 0x1.0p-53 - 0.5);
        }
        return v;
    };
    std::vector<float> x = random(n * in), w = random(out * in), dy = random(n * out);
    std::vector<float> y(size_t(n * out)), dx(size_t(n * in)), dw(size_t(out * in), 0.5f);
    const TensorView xv = TensorView::host(x.data(), {n, in}),
                     wv = TensorView::host(w.data(), {out, in});
    gomhc::trainer::linear_forward(xv, wv, TensorView::host(y.data(), {n, out}));
    gomhc::trainer::linear_backward(TensorView::host(dy.data(), {n, out}), xv, wv,
                                    TensorView::host(dx.data(), {n, in}),
                                    TensorView::host(dw.data(), {out, in}));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t o = 0; o < out; o++) {
            double want = 0;
            for (int64_t k = 0; k < in; k++) {
                want += double(x[size_t(i * in + k)]) * w[size_t(o * in + k)];
            }
            CHECK(y[size_t(i * out + o)] == doctest::Approx(want).epsilon(1e-6));
        }
        for (int64_t k = 0; k < in; k++) {
            double want = 0;
            for (int64_t o = 0; o < out; o++) {
                want += double(dy[size_t(i * out + o)]) * w[size_t(o * in + k)];
            }
            CHECK(dx[size_t(i * in + k)] == doctest::Approx(want).epsilon(1e-6));
        }
    }
    for (int64_t o = 0; o < out; o++) {
        for (int64_t k = 0; k < in; k++) {
            double want = 0.5;  // added to what was there
            for (int64_t i = 0; i < n; i++) {
                want += double(dy[size_t(i * out + o)]) * x[size_t(i * in + k)];
            }
            CHECK(dw[size_t(o * in + k)] == doctest::Approx(want).epsilon(1e-6));
        }
    }
    CHECK_THROWS_AS(gomhc::trainer::linear_forward(xv, wv, TensorView::host(y.data(), {out, n})),
                    gomhc::InvalidArgument);
    CHECK_THROWS_AS(gomhc::trainer::linear_backward(TensorView::host(dy.data(), {n, out}), xv, wv,
                                                    TensorView::host(dx.data(), {in, n}),
                                                    TensorView::host(dw.data(), {out, in})),
                    gomhc::InvalidArgument);
}

namespace {

Batch batch_of(uint64_t seed, int64_t count, int64_t vocab) {
    std::mt19937_64 rng(seed);
    return {random_ids(rng, count, vocab), random_ids(rng, count, vocab)};
}

double cosine_after_training(const GptConfig &cfg, int steps) {
    const int64_t batch = 2, t = 8;
    Gpt gpt(cfg, batch);
    const Batch b = batch_of(41, batch * t, cfg.vocab);
    gomhc::Adamw opt(gpt.num_params(), {});
    gomhc::AdamwSettings settings;
    settings.lr = 1e-2f;
    std::vector<float> norm2(1);
    for (int step = 0; step < steps; step++) {
        gpt.zero_grads();
        gpt.forward(b.tokens.data(), b.targets.data(), batch, t);
        gpt.backward(1.0f);
        const gomhc::TensorView grads = gpt.grads_view();
        gomhc::squared_norm(grads, gomhc::TensorView::host(norm2.data(), {1}));
        opt.step(gpt.params_view(), grads, gomhc::TensorView::host(norm2.data(), {1}), settings);
    }
    gpt.forward(b.tokens.data(), b.targets.data(), batch, t);
    return gpt.stream_diagnostics().cosine_after_block.back();
}

}  // namespace

// docs/math.md section 3.1: with every stream alike, identity mixing and no
// dynamic part, hc computes the plain residual network in every stream. The
// summed-then-normalised output then equals residual's; normalising each
// stream first gives d times residual's logits.
TEST_CASE("gpt: symmetric hc with H_res = I is the residual network, up to the output scale") {
    const int64_t batch = 2, t = 8;
    const GptConfig res_cfg = tiny(method_cases()[0]);
    Gpt residual(res_cfg, batch);
    // Embeddings far above LayerNorm's epsilon (1e-5 inside the root), which
    // would otherwise tell the sum of d equal streams from one stream.
    for (const auto &tensor : residual.layout()) {
        if (tensor.name == "wte" || tensor.name == "wpe") {
            float *p = residual.params() + tensor.offset;
            std::transform(p, p + tensor_size(tensor), p, [](float v) { return 50.0f * v; });
        }
    }
    const Batch b = batch_of(23, batch * t, res_cfg.vocab);
    const float residual_loss = residual.forward(b.tokens.data(), b.targets.data(), batch, t);
    const std::vector<float> residual_logits = residual.logits_at(1, 3);
    std::map<std::string, const gomhc::trainer::ParamTensor *> residual_tensors;
    for (const auto &tensor : residual.layout()) {
        residual_tensors[tensor.name] = &tensor;
    }
    for (StreamOutput output :
         {StreamOutput::mean, StreamOutput::sum, StreamOutput::sum_then_norm}) {
        INFO("output " << stream_output_name(output));
        GptConfig cfg = tiny({Method::hc, 4, 1});
        cfg.symmetric_start = true;
        cfg.output = output;
        Gpt hc(cfg, batch);
        const int d = cfg.d;
        for (const auto &tensor : hc.layout()) {
            float *to = hc.params() + tensor.offset;
            const int64_t size = tensor_size(tensor);
            if (residual_tensors.count(tensor.name)) {  // the shared weights: residual's
                const float *from = residual.params() + residual_tensors[tensor.name]->offset;
                std::copy(from, from + size, to);
            } else if (tensor.name.find(".W") != std::string::npos ||
                       tensor.name.find(".a_") != std::string::npos) {
                std::fill(to, to + size, 0.0f);  // no dynamic part
            } else {
                // b: H_pre = 1/d (the symmetric start), H_post = 1, H_res = I exactly.
                for (int64_t k = 2 * d; k < size; k++) {
                    const int64_t cell = k - 2 * d;
                    to[k] = cell / d == cell % d ? 1.0f : 0.0f;
                }
            }
        }
        const float loss = hc.forward(b.tokens.data(), b.targets.data(), batch, t);
        const std::vector<float> logits = hc.logits_at(1, 3);
        if (output == StreamOutput::sum) {  // d copies summed
            for (size_t i = 0; i < logits.size(); i++) {
                CHECK(logits[i] == doctest::Approx(d * residual_logits[i]).epsilon(1e-4));
            }
        } else {
            CHECK(loss == doctest::Approx(residual_loss).epsilon(1e-5));
            for (size_t i = 0; i < logits.size(); i++) {
                CHECK(logits[i] == doctest::Approx(residual_logits[i]).epsilon(1e-4));
            }
        }
    }
}

TEST_CASE(
    "gpt: from home streams the streams come apart; from the symmetric start they stay "
    "near-copies") {
    GptConfig cfg = tiny({Method::go, 4, 2});
    const double home = cosine_after_training(cfg, 10);
    cfg.symmetric_start = true;
    const double symmetric = cosine_after_training(cfg, 10);
    MESSAGE("last block's stream cosine after 10 steps: home " << home << ", symmetric "
                                                               << symmetric);
    CHECK(symmetric > 0.9999);
    CHECK(home < 0.999);
    CHECK(1.0 - home > 20.0 * (1.0 - symmetric));
}

// The home start gives every hyper-connection parameter a gradient at the
// first step. From the symmetric start the H_res logits get next to none:
// the first block's attention none at all (its input streams are copies, and
// a doubly stochastic H_res maps copies to themselves whatever it is), the
// later ones only through the small differences the coefficients' dynamic
// part makes between the streams. Summed before the final
// norm, the streams lose the last H_res: its columns sum to 1, so the sum of
// its outputs is the sum of its inputs whatever it is.
TEST_CASE("gpt: every hyper-connection parameter gets a gradient from the home start") {
    const int64_t batch = 2, t = 8;
    struct Case {
        bool symmetric;
        StreamOutput output;
    };
    for (const Case c : {Case{false, StreamOutput::mean}, Case{true, StreamOutput::mean},
                         Case{false, StreamOutput::sum_then_norm}}) {
        const std::string what = std::string(c.symmetric ? "symmetric" : "home") + ", output " +
                                 stream_output_name(c.output);
        INFO(what);
        GptConfig cfg = tiny({Method::go, 4, 2});
        cfg.symmetric_start = c.symmetric;
        cfg.output = c.output;
        Gpt gpt(cfg, batch);
        const Batch b = batch_of(29, batch * t, cfg.vocab);
        gpt.zero_grads();
        gpt.forward(b.tokens.data(), b.targets.data(), batch, t);
        gpt.backward(1.0f);
        const std::string last_mlp = "h." + std::to_string(cfg.layers - 1) + ".hc_mlp.";
        for (const auto &tensor : gpt.layout()) {
            if (tensor.kind != gomhc::trainer::ParamKind::hyper_connection) {
                continue;
            }
            const float *g = gpt.grads() + tensor.offset;
            int64_t first = 0, size = tensor_size(tensor);
            const bool res_bias =
                tensor.name.size() > 2 && tensor.name.substr(tensor.name.size() - 2) == ".b";
            if (res_bias) {
                first = 2 * cfg.d;  // the H_res logits' biases
            } else if (tensor.name.find(".W") == std::string::npos) {
                continue;
            }
            double sq = 0;
            for (int64_t i = first; i < size; i++) {
                sq += double(g[i]) * g[i];
            }
            INFO(tensor.name << ": |gradient| " << std::sqrt(sq));
            const bool last_res = res_bias && tensor.name.rfind(last_mlp, 0) == 0;
            if ((c.symmetric && res_bias) ||
                (c.output == StreamOutput::sum_then_norm && last_res)) {
                CHECK(std::sqrt(sq) < 1e-7);
            } else {
                CHECK(std::sqrt(sq) > 1e-6);
            }
        }
    }
}
