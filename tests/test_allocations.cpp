// Steady-state training calls the allocator not once: after one step at each
// of two token counts (a training and an evaluation batch), 100 steps
// alternating between them allocate no block at all, on the calling thread or
// on Halide's workers, for every hyper-connection method and for the
// trainer's ops. Every allocation of the process goes through the malloc
// family defined below, which counts while `counting` is set and otherwise
// forwards to glibc. The views count too: they keep their shapes inline.
#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <gomhc/gomhc.hpp>
#include <vector>

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

namespace {

constexpr size_t kLargeBlock = 1024;

std::atomic<bool> counting{false};
std::atomic<int64_t> small_blocks{0}, large_blocks{0};

void count(size_t bytes) {
    if (counting.load(std::memory_order_relaxed)) {
        (bytes >= kLargeBlock ? large_blocks : small_blocks).fetch_add(1);
    }
}

struct Counts {
    int64_t small, large;
};

template<typename Body>
Counts count_allocations(Body body) {
    small_blocks = 0;
    large_blocks = 0;
    counting = true;
    body();
    counting = false;
    return {small_blocks.load(), large_blocks.load()};
}

}  // namespace

extern "C" {
void *malloc(size_t bytes) {
    count(bytes);
    return __libc_malloc(bytes);
}
void *calloc(size_t items, size_t bytes) {
    count(items * bytes);
    return __libc_calloc(items, bytes);
}
void *realloc(void *p, size_t bytes) {
    count(bytes);
    return __libc_realloc(p, bytes);
}
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t bytes) {
    count(bytes);
    return __libc_memalign(alignment, bytes);
}
void *aligned_alloc(size_t alignment, size_t bytes) {
    count(bytes);
    return __libc_memalign(alignment, bytes);
}
int posix_memalign(void **out, size_t alignment, size_t bytes) {
    count(bytes);
    void *p = __libc_memalign(alignment, bytes);
    if (p == nullptr) {
        return 12;  // ENOMEM
    }
    *out = p;
    return 0;
}
}

namespace {

// The buffers of one step at T tokens, allocated before counting starts.
struct StepBuffers {
    int64_t t;
    std::vector<float> x, y, x_next, g, dx, df;
    StepBuffers(int64_t tokens, int d, int64_t c)
        : t(tokens),
          x(size_t(tokens * d * c), 0.5f),
          y(size_t(tokens * c)),
          x_next(size_t(tokens * d * c)),
          g(size_t(tokens * d * c), 0.25f),
          dx(size_t(tokens * d * c)),
          df(size_t(tokens * c)) {
        for (size_t i = 0; i < x.size(); ++i) {
            x[i] = float(i % 7) * 0.125f - 0.375f;
        }
    }
};

// A training step with F = identity: pre, post(f = y), post_backward,
// pre_backward(dy = df).
void step(gomhc::HyperConnection &layer, StepBuffers &b) {
    const int d = layer.d();
    const int64_t c = layer.c();
    const auto x = gomhc::TensorView::host(b.x.data(), {b.t, d, c});
    const auto y = gomhc::TensorView::host(b.y.data(), {b.t, c});
    const auto x_next = gomhc::TensorView::host(b.x_next.data(), {b.t, d, c});
    const auto g = gomhc::TensorView::host(b.g.data(), {b.t, d, c});
    const auto dx = gomhc::TensorView::host(b.dx.data(), {b.t, d, c});
    const auto df = gomhc::TensorView::host(b.df.data(), {b.t, c});
    layer.pre(x, y);
    layer.post(x, y, x_next);
    layer.post_backward(g, dx, df);
    layer.pre_backward(df, dx);
}

}  // namespace

TEST_CASE("the malloc hook sees the allocations it must count") {
    const Counts c = count_allocations([] {
        std::vector<float> big(4096);
        std::vector<char> small(16);
        big[0] = small[0] = 1;
    });
    CHECK(c.large == 1);
    CHECK(c.small == 1);
}

TEST_CASE("100 layer steps alternating T = 300 and T = 64 allocate no block") {
    const int64_t c = 384;
    struct Case {
        gomhc::Method method;
        int d, s;
    };
    const Case cases[] = {{gomhc::Method::hc, 4, 1},       {gomhc::Method::mhc, 4, 1},
                          {gomhc::Method::mhc_lite, 4, 1}, {gomhc::Method::kromhc, 4, 1},
                          {gomhc::Method::go, 4, 2},       {gomhc::Method::go_kron, 4, 2}};
    gomhc::set_num_threads(2);  // scratch on the workers is counted too
    for (const Case &k : cases) {
        INFO(gomhc::method_name(k.method) << " d=" << k.d << " s=" << k.s << " C=" << c);
        gomhc::HyperConnection layer(k.method, k.d, k.s, c, 1);
        StepBuffers train(300, k.d, c), eval(64, k.d, c);
        step(layer, train);  // the first step at each size may allocate
        step(layer, eval);
        const Counts n = count_allocations([&] {
            for (int i = 0; i < 50; ++i) {
                step(layer, train);
                step(layer, eval);
            }
        });
        MESSAGE(gomhc::method_name(k.method)
                << ": over 100 steps " << n.large << " blocks >= 1 KiB, " << n.small
                << " smaller blocks");
        CHECK(n.large == 0);
        CHECK(n.small == 0);
    }
    gomhc::set_num_threads(0);
}

namespace {

// The tensors of the trainer's ops at one size: T tokens of C features (as
// sequences of kPositions, embedded into kStreams streams), H attention
// matrices of L x L, a vocabulary of V padded to Vp.
constexpr int64_t kPositions = 8, kStreams = 2;
struct OpBuffers {
    int64_t t, c, h, l, v, vp;
    std::vector<float> x, y, dy, dx, mean, rstd, gamma, beta, dgamma, dbeta, scores, probs, dprobs,
        dscores, logits, loss, lse, dlogits, norm, wte, wpe, streams, dwte, dwpe;
    std::vector<int32_t> targets;
    OpBuffers(int64_t tokens, int64_t features, int64_t heads, int64_t length)
        : t(tokens),
          c(features),
          h(heads),
          l(length),
          v(250),
          vp(256),
          x(size_t(t * c), 0.5f),
          y(x.size()),
          dy(x.size(), 0.25f),
          dx(x.size()),
          mean(size_t(t)),
          rstd(size_t(t)),
          gamma(size_t(c), 1.0f),
          beta(size_t(c), 0.0f),
          dgamma(size_t(c)),
          dbeta(size_t(c)),
          scores(size_t(h * l * l), 0.1f),
          probs(scores.size()),
          dprobs(scores.size(), 0.5f),
          dscores(scores.size()),
          logits(size_t(t * vp), 0.01f),
          loss(size_t(t)),
          lse(size_t(t)),
          dlogits(logits.size()),
          norm(1),
          wte(size_t(vp * c), 0.02f),
          wpe(size_t(kPositions * c), 0.01f),
          streams(size_t(t * kStreams * c)),
          dwte(wte.size()),
          dwpe(wpe.size()),
          targets(size_t(t)) {
        for (size_t i = 0; i < x.size(); ++i) {
            x[i] = float(i % 11) * 0.1f - 0.5f;
        }
        for (size_t i = 0; i < targets.size(); ++i) {
            targets[i] = int32_t(i * 7 % size_t(v));
        }
    }
};

// One pass over the ops as a training step calls them.
void op_step(OpBuffers &b, gomhc::Adamw &opt, std::vector<float> &params,
             std::vector<float> &grads) {
    using gomhc::TensorView;
    const auto tc = [&](std::vector<float> &v) { return TensorView::host(v.data(), {b.t, b.c}); };
    const auto per_token = [&](std::vector<float> &v) { return TensorView::host(v.data(), {b.t}); };
    const auto features = [&](std::vector<float> &v) { return TensorView::host(v.data(), {b.c}); };
    const auto attention = [&](std::vector<float> &v) {
        return TensorView::host(v.data(), {b.h, b.l, b.l});
    };
    const auto vocab = [&](std::vector<float> &v) {
        return TensorView::host(v.data(), {b.t, b.vp});
    };
    const auto targets = gomhc::TokenView::host(b.targets.data(), {b.t});
    const auto ids = gomhc::TokenView::host(b.targets.data(), {b.t / kPositions, kPositions});
    const auto wte = TensorView::host(b.wte.data(), {b.vp, b.c});
    const auto wpe = TensorView::host(b.wpe.data(), {kPositions, b.c});
    const auto streams =
        TensorView::host(b.streams.data(), {b.t / kPositions, kPositions, kStreams, b.c});
    gomhc::embedding_forward(ids, wte, wpe, streams);
    gomhc::embedding_backward(ids, streams, TensorView::host(b.dwte.data(), {b.vp, b.c}),
                              TensorView::host(b.dwpe.data(), {kPositions, b.c}));
    gomhc::layernorm_forward(tc(b.x), features(b.gamma), features(b.beta), tc(b.y),
                             per_token(b.mean), per_token(b.rstd));
    gomhc::layernorm_backward(tc(b.dy), tc(b.x), features(b.gamma), per_token(b.mean),
                              per_token(b.rstd), tc(b.dx), features(b.dgamma), features(b.dbeta));
    gomhc::gelu_forward(tc(b.x), tc(b.y));
    gomhc::gelu_backward(tc(b.x), tc(b.dy), tc(b.dx));
    gomhc::causal_softmax_forward(0.125f, attention(b.scores), attention(b.probs));
    gomhc::causal_softmax_backward(0.125f, attention(b.probs), attention(b.dprobs),
                                   attention(b.dscores));
    gomhc::cross_entropy_forward(b.v, vocab(b.logits), targets, per_token(b.loss),
                                 per_token(b.lse));
    gomhc::cross_entropy_backward(b.v, 1.0f / float(b.t), vocab(b.logits), targets,
                                  per_token(b.lse), vocab(b.dlogits));
    const int64_t n = int64_t(params.size());
    gomhc::squared_norm(TensorView::host(grads.data(), {n}), TensorView::host(b.norm.data(), {1}));
    opt.step(TensorView::host(params.data(), {n}), TensorView::host(grads.data(), {n}),
             TensorView::host(b.norm.data(), {1}), gomhc::AdamwSettings{});
}

}  // namespace

TEST_CASE("100 steps of the trainer's ops alternating two sizes allocate no block") {
    gomhc::set_num_threads(2);
    OpBuffers train(512, 384, 12, 64), eval(64, 384, 4, 32);
    std::vector<float> params(300000, 0.1f), grads(params.size(), 0.01f);
    gomhc::Adamw opt(int64_t(params.size()), {{0, 200000}});
    op_step(train, opt, params, grads);
    op_step(eval, opt, params, grads);
    const Counts n = count_allocations([&] {
        for (int i = 0; i < 50; ++i) {
            op_step(train, opt, params, grads);
            op_step(eval, opt, params, grads);
        }
    });
    MESSAGE("trainer ops: over 100 steps " << n.large << " blocks >= 1 KiB, " << n.small
                                           << " smaller blocks");
    CHECK(n.large == 0);
    CHECK(n.small == 0);
    gomhc::set_num_threads(0);
}
