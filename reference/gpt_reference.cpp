#include "gpt_reference.h"

#include <cmath>
#include <stdexcept>

namespace gomhc::reference {

namespace {

struct Model {
    const GptShape &shape;
    const std::map<std::string, int64_t> &offsets;
    const Vec &params;

    const double *at(const std::string &name) const {
        const auto it = offsets.find(name);
        if (it == offsets.end()) {
            throw std::invalid_argument("gpt reference: no tensor named " + name);
        }
        return params.data() + it->second;
    }
    Vec slice(const std::string &name, int64_t count) const {
        const double *p = count > 0 ? at(name) : nullptr;
        return count > 0 ? Vec(p, p + count) : Vec();
    }
};

// y [N][out] = x [N][in] W^T, W [out][in].
Vec linear(int64_t n, int64_t in, int64_t out, const Vec &x, const double *w) {
    Vec y(size_t(n * out), 0.0);
    for (int64_t t = 0; t < n; t++) {
        for (int64_t o = 0; o < out; o++) {
            double sum = 0.0;
            for (int64_t i = 0; i < in; i++) {
                sum += x[size_t(t * in + i)] * w[o * in + i];
            }
            y[size_t(t * out + o)] = sum;
        }
    }
    return y;
}

Vec layernorm(int64_t n, int64_t c, const Vec &x, const double *g, const double *b) {
    return layernorm_forward(n, c, x, Vec(g, g + c), Vec(b, b + c)).y;
}

Vec attention(const Model &m, const std::string &p, int64_t batch, int64_t t, const Vec &y) {
    const int64_t C = m.shape.width, H = m.shape.heads, hs = C / H, n = batch * t;
    const Vec ln = layernorm(n, C, y, m.at(p + "ln_1.weight"), m.at(p + "ln_1.bias"));
    const Vec qkv = linear(n, C, 3 * C, ln, m.at(p + "attn.c_attn.weight"));
    Vec out(size_t(n * C), 0.0);
    const double scale = 1.0 / std::sqrt(double(hs));
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t h = 0; h < H; h++) {
            Vec scores(size_t(t * t), 0.0);
            for (int64_t q = 0; q < t; q++) {
                for (int64_t k = 0; k < t; k++) {
                    double dot = 0.0;
                    for (int64_t i = 0; i < hs; i++) {
                        dot += qkv[size_t((b * t + q) * 3 * C + h * hs + i)] *
                               qkv[size_t((b * t + k) * 3 * C + C + h * hs + i)];
                    }
                    scores[size_t(q * t + k)] = dot;
                }
            }
            const Vec probs = causal_softmax_forward(1, t, scale, scores);
            for (int64_t q = 0; q < t; q++) {
                for (int64_t i = 0; i < hs; i++) {
                    double sum = 0.0;
                    for (int64_t k = 0; k <= q; k++) {
                        sum += probs[size_t(q * t + k)] *
                               qkv[size_t((b * t + k) * 3 * C + 2 * C + h * hs + i)];
                    }
                    out[size_t((b * t + q) * C + h * hs + i)] = sum;
                }
            }
        }
    }
    return linear(n, C, C, out, m.at(p + "attn.c_proj.weight"));
}

Vec mlp(const Model &m, const std::string &p, int64_t n, const Vec &y) {
    const int64_t C = m.shape.width;
    const Vec ln = layernorm(n, C, y, m.at(p + "ln_2.weight"), m.at(p + "ln_2.bias"));
    const Vec fc = gelu_forward(linear(n, C, 4 * C, ln, m.at(p + "mlp.c_fc.weight")));
    return linear(n, 4 * C, C, fc, m.at(p + "mlp.c_proj.weight"));
}

}  // namespace

double gpt_loss(const GptShape &shape, const std::map<std::string, int64_t> &offsets,
                const Vec &params, const Ids &tokens, const Ids &targets, int64_t batch,
                int64_t t) {
    const Model m{shape, offsets, params};
    const int64_t C = shape.width, d = shape.d, n = batch * t, Vp = shape.padded_vocab;
    const LayerShape layer{shape.method, shape.d, shape.s, C};
    const int64_t hc_count = layer_param_count(layer);
    Vec x = embedding_forward(batch, t, d, C, tokens, Vec(m.at("wte"), m.at("wte") + Vp * C),
                              Vec(m.at("wpe"), m.at("wpe") + shape.context * C));
    if (offsets.count("wse")) {  // the stream embedding of the home-stream start
        x = stream_embed_forward(n, d, C, x, m.slice("wse", d * C));
    }
    const Vec no_f(size_t(n * C), 0.0);
    for (int64_t l = 0; l < shape.layers; l++) {
        const std::string p = "h." + std::to_string(l) + ".";
        const Vec hc_attn = m.slice(p + "hc_attn.W", hc_count);
        const Vec y_attn = layer_forward(layer, n, hc_attn, x, no_f).y;
        x = layer_forward(layer, n, hc_attn, x, attention(m, p, batch, t, y_attn)).x_next;
        const Vec hc_mlp = m.slice(p + "hc_mlp.W", hc_count);
        const Vec y_mlp = layer_forward(layer, n, hc_mlp, x, no_f).y;
        x = layer_forward(layer, n, hc_mlp, x, mlp(m, p, n, y_mlp)).x_next;
    }
    // The streams to one row per token: each normalised, then summed and
    // scaled, or summed, then normalised once.
    const Vec combined =
        shape.norm_then_sum
            ? stream_sum_forward(n, d, C,
                                 layernorm(n * d, C, x, m.at("ln_f.weight"), m.at("ln_f.bias")),
                                 shape.stream_scale)
            : layernorm(n, C, stream_sum_forward(n, d, C, x), m.at("ln_f.weight"),
                        m.at("ln_f.bias"));
    const Vec logits = linear(n, C, Vp, combined, m.at("wte"));
    const Vec loss = cross_entropy_forward(n, Vp, shape.vocab, logits, targets).loss;
    double total = 0.0;
    for (double v : loss) {
        total += v;
    }
    return total / double(n);
}

}  // namespace gomhc::reference
