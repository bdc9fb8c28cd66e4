// gomhc_bench: The residual mixer and the whole hyper-connection layer per method, with
// F = identity (f = y, dy = df).
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// The hyper-connection layer, per method, with F = identity (f = y, dy = df).
// "forward" is pre + post; "train" is all four calls. The memory roof counts
// what the calls must move: forward reads X twice (pre, post) and f, writes y
// and X_next; the backward reads dX_next, X twice, f, dy and dX (pre_backward
// adds into it) and writes dX twice and df. The compute roof counts the
// coefficient GEMMs (one forward, two backward) at 2*d*C*K flops per token.

std::string mixer_shape(const LayerCase &lc) {
    return "T" + std::to_string(lc.tokens) + " d" + std::to_string(lc.d) + " s" +
           std::to_string(lc.s);
}

std::string layer_shape(const LayerCase &lc) {
    return mixer_shape(lc) + " C" + std::to_string(lc.c);
}

Result method_row(benchmark::State &state, const std::string &family, gomhc::Method method,
                  const std::string &phase, std::string shape) {
    Result r;
    r.op = family + "/" + gomhc::method_name(method) + "/" + phase;
    r.backend = "cpu";
    r.shape = std::move(shape);
    state.SetLabel(r.shape);
    return r;
}

void bm_layer(benchmark::State &state, LayerCase lc, bool train, std::string name) {
    Result r = method_row(state, "layer", lc.method, train ? "train" : "forward", layer_shape(lc));
    const int64_t t = lc.tokens, dc = lc.d * lc.c;
    std::vector<float> x(size_t(t * dc)), x_next(size_t(t * dc)), y(size_t(t * lc.c));
    std::vector<float> dx_next(size_t(t * dc)), dx(size_t(t * dc)), df(size_t(t * lc.c));
    fill_uniform(x.data(), x.size(), 11);
    fill_uniform(dx_next.data(), dx_next.size(), 12);
    std::unique_ptr<gomhc::HyperConnection> layer;
    using gomhc::TensorView;
    const auto step = [&] {
        layer->pre(TensorView::host(x.data(), {t, lc.d, lc.c}),
                   TensorView::host(y.data(), {t, lc.c}));
        layer->post(TensorView::host(x.data(), {t, lc.d, lc.c}),
                    TensorView::host(y.data(), {t, lc.c}),
                    TensorView::host(x_next.data(), {t, lc.d, lc.c}));
        if (train) {
            layer->post_backward(TensorView::host(dx_next.data(), {t, lc.d, lc.c}),
                                 TensorView::host(dx.data(), {t, lc.d, lc.c}),
                                 TensorView::host(df.data(), {t, lc.c}));
            layer->pre_backward(TensorView::host(df.data(), {t, lc.c}),
                                TensorView::host(dx.data(), {t, lc.d, lc.c}));
        }
    };
    const std::optional<double> timed = time_steps(
        state, name, r,
        [&] { layer = std::make_unique<gomhc::HyperConnection>(lc.method, lc.d, lc.s, lc.c, 1); },
        step);
    if (!timed) {
        return;
    }
    const double seconds = *timed;
    const double k = double(layer->coefficient_count());
    const double floats = train ? double(9 * dc + 5 * lc.c) : double(3 * dc + 2 * lc.c);
    const double gemm_flops = 2.0 * double(dc) * k * (train ? 3.0 : 1.0);
    set_counters(state, r, double(t), double(t) * floats * sizeof(float), double(t) * gemm_flops,
                 seconds, triad_bandwidth(), fma_peak());
    state.counters["ms"] = seconds / double(state.iterations()) * 1e3;
    r.label = fixed(seconds / double(state.iterations()) * 1e3, 2) + " ms/call";
    record(name, r);
}

void bm_mixer(benchmark::State &state, LayerCase lc, bool backward, std::string name) {
    Result r =
        method_row(state, "mixer", lc.method, backward ? "backward" : "forward", mixer_shape(lc));
    const int64_t t = lc.tokens, dd = int64_t(lc.d) * lc.d;
    std::unique_ptr<gomhc::Mixer> mixer;
    std::vector<float> logits, h_res(size_t(t * dd)), dlogits;
    std::vector<float> dh_res(size_t(t * dd));
    fill_uniform(dh_res.data(), dh_res.size(), 13);
    using gomhc::TensorView;
    int64_t k = 0;
    const auto forward = [&] {
        mixer->forward(TensorView::host(logits.data(), {t, k}),
                       TensorView::host(h_res.data(), {t, lc.d, lc.d}));
    };
    const auto step = [&] {
        if (backward) {
            mixer->backward(TensorView::host(dh_res.data(), {t, lc.d, lc.d}),
                            TensorView::host(dlogits.data(), {t, k}));
        } else {
            forward();
        }
    };
    const auto set_up = [&] {
        mixer = std::make_unique<gomhc::Mixer>(lc.method, lc.d, lc.s);
        k = mixer->logit_count();
        logits.resize(size_t(t * k));
        dlogits.resize(size_t(t * k));
        fill_uniform(logits.data(), logits.size(), 14);
        forward();
    };
    const std::optional<double> timed = time_steps(state, name, r, set_up, step);
    if (!timed) {
        return;
    }
    const double seconds = *timed;
    const double floats = backward ? double(dd + 2 * k) : double(k + dd);
    set_counters(state, r, double(t), double(t) * floats * sizeof(float), 0.0, seconds,
                 triad_bandwidth(), fma_peak());
    r.label = fixed(seconds / double(state.iterations()) * 1e3, 3) + " ms/call";
    record(name, r);
}

}  // namespace gomhc_bench
