// gomhc_bench_train: the trainer's own ops one by one (embedding, causal
// softmax, cross-entropy, squared norm, AdamW) at the medium preset's shapes,
// each beside its float64 reference in the same run.
//
// Counters: GB (bytes moved per second: every input read once, every output
// written once, 1 GB = 1e9 bytes), x_ref (the reference's time over the
// kernel's, the reference row running first).
#include "trainer_op_rows.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "model_reference.h"

namespace gomhc_bench_train {

namespace {

namespace ref = gomhc::reference;
using gomhc::TensorView;
using gomhc::TokenView;

// The medium preset: 8 sequences of 256 tokens, width 384, 6 heads, d = 4.
constexpr int64_t kBatch = 8, kT = 256, kC = 384, kHeads = 6, kD = 4, kVocab = 256;
// A GPT-2 vocabulary (50257 padded to 50304) over fewer tokens.
constexpr int64_t kGpt2Vocab = 50257, kGpt2Padded = 50304, kGpt2Tokens = 256;
// A flat parameter block of the medium preset's size.
constexpr int64_t kParams = 11'000'000;

std::vector<float> normal_floats(size_t count, uint64_t seed, double sigma = 1.0) {
    ref::Rng rng(seed);
    return ref::to_float(rng.normal_vec(count, sigma));
}

ref::Ids ids(size_t count, int64_t below, uint64_t seed) {
    std::mt19937_64 rng(seed);
    ref::Ids out(count);
    for (auto &id : out) {
        id = int32_t(rng() % uint64_t(below));
    }
    return out;
}

// One op: its data, the kernel call, the reference call, the bytes of one call.
struct OpCase {
    std::function<void()> kernel, reference;
    double bytes = 0;
};

using Factory = std::function<std::unique_ptr<OpCase>()>;

// Everything a case needs lives in one holder kept by the case's closures.
template<typename Data>
std::unique_ptr<OpCase> make_case(std::shared_ptr<Data> data, void (*kernel)(Data &),
                                  void (*reference)(Data &), double bytes) {
    auto c = std::make_unique<OpCase>();
    c->kernel = [data, kernel] { kernel(*data); };
    c->reference = [data, reference] { reference(*data); };
    c->bytes = bytes;
    return c;
}

struct Embedding {
    ref::Ids tokens = ids(size_t(kBatch * kT), kVocab, 1);
    std::vector<float> wte = normal_floats(size_t(kVocab * kC), 2),
                       wpe = normal_floats(size_t(kT * kC), 3),
                       out = std::vector<float>(size_t(kBatch * kT * kD * kC)),
                       dout = normal_floats(size_t(kBatch * kT * kD * kC), 4),
                       dwte = std::vector<float>(size_t(kVocab * kC)),
                       dwpe = std::vector<float>(size_t(kT * kC));
    ref::Vec wte64 = ref::to_double(wte), wpe64 = ref::to_double(wpe),
             dout64 = ref::to_double(dout);
};

struct Softmax {
    static constexpr int64_t kMatrices = kBatch * kHeads;
    std::vector<float> scores = normal_floats(size_t(kMatrices * kT * kT), 5, 3.0),
                       probs = std::vector<float>(size_t(kMatrices * kT * kT)),
                       dprobs = normal_floats(size_t(kMatrices * kT * kT), 6),
                       dscores = std::vector<float>(size_t(kMatrices * kT * kT));
    ref::Vec scores64 = ref::to_double(scores), dprobs64 = ref::to_double(dprobs);
    ref::Vec probs64 = ref::causal_softmax_forward(kMatrices, kT, 0.125, scores64);
};

template<int64_t kTokens, int64_t kV, int64_t kVp>
struct CrossEntropy {
    ref::Ids targets = ids(size_t(kTokens), kV, 7);
    std::vector<float> logits = normal_floats(size_t(kTokens * kVp), 8, 2.0),
                       dlogits = std::vector<float>(size_t(kTokens * kVp)),
                       loss = std::vector<float>(size_t(kTokens)),
                       lse = std::vector<float>(size_t(kTokens));
    ref::Vec logits64 = ref::to_double(logits);
};

struct Optimizer {
    std::vector<float> params = normal_floats(size_t(kParams), 9),
                       grads = normal_floats(size_t(kParams), 10, 0.01), norm = {0.0f};
    gomhc::Adamw opt{kParams, {{0, kParams / 2}}};
    ref::Vec params64 = ref::to_double(params), grads64 = ref::to_double(grads),
             m64 = ref::Vec(size_t(kParams)), v64 = ref::Vec(size_t(kParams));
    std::vector<uint8_t> decay = std::vector<uint8_t>(size_t(kParams), 1);
};

template<int64_t kTokens, int64_t kV, int64_t kVp>
void add_cross_entropy(std::vector<std::pair<std::string, Factory>> &cases,
                       const std::string &shape) {
    using Data = CrossEntropy<kTokens, kV, kVp>;
    const double logits_bytes = 4.0 * kTokens * kVp;
    cases.emplace_back("cross_entropy_forward/" + shape, [logits_bytes] {
        return make_case<Data>(
            std::make_shared<Data>(),
            [](Data &e) {
                gomhc::cross_entropy_forward(kV, TensorView::host(e.logits.data(), {kTokens, kVp}),
                                             TokenView::host(e.targets.data(), {kTokens}),
                                             TensorView::host(e.loss.data(), {kTokens}),
                                             TensorView::host(e.lse.data(), {kTokens}));
            },
            [](Data &e) {
                benchmark::DoNotOptimize(
                    ref::cross_entropy_forward(kTokens, kVp, kV, e.logits64, e.targets).loss);
            },
            logits_bytes + 12.0 * kTokens);
    });
    cases.emplace_back("cross_entropy_backward/" + shape, [logits_bytes] {
        return make_case<Data>(
            std::make_shared<Data>(),
            [](Data &e) {
                gomhc::cross_entropy_backward(kV, 1.0f / kTokens,
                                              TensorView::host(e.logits.data(), {kTokens, kVp}),
                                              TokenView::host(e.targets.data(), {kTokens}),
                                              TensorView::host(e.lse.data(), {kTokens}),
                                              TensorView::host(e.dlogits.data(), {kTokens, kVp}));
            },
            [](Data &e) {
                benchmark::DoNotOptimize(ref::cross_entropy_backward(
                    kTokens, kVp, kV, 1.0 / kTokens, e.logits64, e.targets));
            },
            2 * logits_bytes + 8.0 * kTokens);
    });
}

std::vector<std::pair<std::string, Factory>> all_cases() {
    std::vector<std::pair<std::string, Factory>> cases;
    const std::string emb_shape = "B:8/T:256/d:4/C:384";
    const double stream_bytes = 4.0 * kBatch * kT * kD * kC;
    cases.emplace_back("embedding_forward/" + emb_shape, [stream_bytes] {
        return make_case<Embedding>(
            std::make_shared<Embedding>(),
            [](Embedding &e) {
                gomhc::embedding_forward(TokenView::host(e.tokens.data(), {kBatch, kT}),
                                         TensorView::host(e.wte.data(), {kVocab, kC}),
                                         TensorView::host(e.wpe.data(), {kT, kC}),
                                         TensorView::host(e.out.data(), {kBatch, kT, kD, kC}));
            },
            [](Embedding &e) {
                benchmark::DoNotOptimize(
                    ref::embedding_forward(kBatch, kT, kD, kC, e.tokens, e.wte64, e.wpe64));
            },
            stream_bytes + 4.0 * kBatch * kT * (1 + 2 * kC));
    });
    cases.emplace_back("embedding_backward/" + emb_shape, [stream_bytes] {
        return make_case<Embedding>(
            std::make_shared<Embedding>(),
            [](Embedding &e) {
                gomhc::embedding_backward(TokenView::host(e.tokens.data(), {kBatch, kT}),
                                          TensorView::host(e.dout.data(), {kBatch, kT, kD, kC}),
                                          TensorView::host(e.dwte.data(), {kVocab, kC}),
                                          TensorView::host(e.dwpe.data(), {kT, kC}));
            },
            [](Embedding &e) {
                benchmark::DoNotOptimize(
                    ref::embedding_backward(kBatch, kT, kD, kC, kVocab, kT, e.tokens, e.dout64));
            },
            stream_bytes + 8.0 * (kVocab + kT) * kC + 4.0 * kBatch * kT);
    });
    const std::string sm_shape = "H:48/T:256";
    const double matrix_bytes = 4.0 * Softmax::kMatrices * kT * kT;
    cases.emplace_back("causal_softmax_forward/" + sm_shape, [matrix_bytes] {
        return make_case<Softmax>(
            std::make_shared<Softmax>(),
            [](Softmax &e) {
                const int64_t h = Softmax::kMatrices;
                gomhc::causal_softmax_forward(0.125f,
                                              TensorView::host(e.scores.data(), {h, kT, kT}),
                                              TensorView::host(e.probs.data(), {h, kT, kT}));
            },
            [](Softmax &e) {
                benchmark::DoNotOptimize(
                    ref::causal_softmax_forward(Softmax::kMatrices, kT, 0.125, e.scores64));
            },
            2 * matrix_bytes);
    });
    cases.emplace_back("causal_softmax_backward/" + sm_shape, [matrix_bytes] {
        return make_case<Softmax>(
            std::make_shared<Softmax>(),
            [](Softmax &e) {
                const int64_t h = Softmax::kMatrices;
                gomhc::causal_softmax_forward(0.125f,
                                              TensorView::host(e.scores.data(), {h, kT, kT}),
                                              TensorView::host(e.probs.data(), {h, kT, kT}));
                gomhc::causal_softmax_backward(0.125f,
                                               TensorView::host(e.probs.data(), {h, kT, kT}),
                                               TensorView::host(e.dprobs.data(), {h, kT, kT}),
                                               TensorView::host(e.dscores.data(), {h, kT, kT}));
            },
            [](Softmax &e) {
                benchmark::DoNotOptimize(
                    ref::causal_softmax_forward(Softmax::kMatrices, kT, 0.125, e.scores64));
                benchmark::DoNotOptimize(ref::causal_softmax_backward(Softmax::kMatrices, kT, 0.125,
                                                                      e.probs64, e.dprobs64));
            },
            5 * matrix_bytes);  // the forward's 2 and the backward's 3
    });
    add_cross_entropy<kBatch * kT, kVocab, kVocab>(cases, "T:2048/V:256");
    add_cross_entropy<kGpt2Tokens, kGpt2Vocab, kGpt2Padded>(cases, "T:256/V:50257");
    const std::string flat = "N:11000000";
    cases.emplace_back("squared_norm/" + flat, [] {
        return make_case<Optimizer>(
            std::make_shared<Optimizer>(),
            [](Optimizer &e) {
                gomhc::squared_norm(TensorView::host(e.grads.data(), {kParams}),
                                    TensorView::host(e.norm.data(), {1}));
            },
            [](Optimizer &e) {
                double total = 0;
                for (double g : e.grads64) {
                    total += g * g;
                }
                benchmark::DoNotOptimize(total);
            },
            4.0 * kParams);
    });
    cases.emplace_back("adamw_step/" + flat, [] {
        return make_case<Optimizer>(
            std::make_shared<Optimizer>(),
            [](Optimizer &e) {
                gomhc::AdamwSettings s;
                s.weight_decay = 0.1f;
                s.max_norm = 1.0f;
                e.opt.step(TensorView::host(e.params.data(), {kParams}),
                           TensorView::host(e.grads.data(), {kParams}),
                           TensorView::host(e.norm.data(), {1}), s);
            },
            [](Optimizer &e) {
                static int64_t step = 0;
                ref::adamw_step(e.params64, e.grads64, e.m64, e.v64, e.decay, ++step,
                                {1e-3, 0.9, 0.95, 1e-8, 0.1, 1.0});
            },
            // reads params, grads, m, v, decay flags; writes params, m, v
            4.0 * kParams * 7 + 1.0 * kParams);
    });
    return cases;
}

std::map<std::string, double> &reference_seconds() {
    static std::map<std::string, double> m;
    return m;
}

void bm_op(benchmark::State &state, const std::string &name, const Factory &factory,
           bool reference) {
    const std::unique_ptr<OpCase> c = factory();
    const std::function<void()> &call = reference ? c->reference : c->kernel;
    call();  // warm-up
    double seconds = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        call();
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double per_call = seconds / double(state.iterations());
    state.counters["GB"] = benchmark::Counter(c->bytes * double(state.iterations()) * 1e-9,
                                              benchmark::Counter::kIsRate);
    if (reference) {
        reference_seconds()[name] = per_call;
    } else if (reference_seconds().count(name)) {
        state.counters["x_ref"] = reference_seconds()[name] / per_call;
    }
}

}  // namespace

void register_trainer_op_rows() {
    for (const auto &[name, factory] : all_cases()) {
        for (bool reference : {true, false}) {
            const std::string row = "trainer_op/" + name + (reference ? "/reference" : "/cpu");
            benchmark::RegisterBenchmark(row.c_str(), bm_op, name, factory, reference)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime()
                ->MinTime(reference ? 0.5 : 1.0);
        }
    }
}

}  // namespace gomhc_bench_train
