#include "model_reference.h"

#include <algorithm>
#include <cmath>

namespace gomhc::reference {

LayerNormForward layernorm_forward(int64_t tokens, int64_t c, const Vec &x, const Vec &gamma,
                                   const Vec &beta) {
    LayerNormForward out{Vec(size_t(tokens * c)), Vec(size_t(tokens)), Vec(size_t(tokens))};
    for (int64_t t = 0; t < tokens; t++) {
        const double *row = x.data() + t * c;
        double sum = 0.0;
        for (int64_t k = 0; k < c; k++) {
            sum += row[k];
        }
        const double mean = sum / double(c);
        double square_sum = 0.0;
        for (int64_t k = 0; k < c; k++) {
            square_sum += (row[k] - mean) * (row[k] - mean);
        }
        const double rstd = 1.0 / std::sqrt(square_sum / double(c) + kLayerNormEps);
        for (int64_t k = 0; k < c; k++) {
            out.y[size_t(t * c + k)] = (row[k] - mean) * rstd * gamma[size_t(k)] + beta[size_t(k)];
        }
        out.mean[size_t(t)] = mean;
        out.rstd[size_t(t)] = rstd;
    }
    return out;
}

LayerNormBackward layernorm_backward(int64_t tokens, int64_t c, const Vec &dy, const Vec &x,
                                     const Vec &gamma) {
    const LayerNormForward f = layernorm_forward(tokens, c, x, gamma, Vec(size_t(c), 0.0));
    LayerNormBackward out{Vec(size_t(tokens * c)), Vec(size_t(c), 0.0), Vec(size_t(c), 0.0)};
    for (int64_t t = 0; t < tokens; t++) {
        const double mean = f.mean[size_t(t)], rstd = f.rstd[size_t(t)];
        double g_sum = 0.0, gn_sum = 0.0;
        for (int64_t k = 0; k < c; k++) {
            const size_t i = size_t(t * c + k);
            const double n = (x[i] - mean) * rstd, g = gamma[size_t(k)] * dy[i];
            g_sum += g;
            gn_sum += g * n;
            out.dgamma[size_t(k)] += dy[i] * n;
            out.dbeta[size_t(k)] += dy[i];
        }
        for (int64_t k = 0; k < c; k++) {
            const size_t i = size_t(t * c + k);
            const double n = (x[i] - mean) * rstd, g = gamma[size_t(k)] * dy[i];
            out.dx[i] = (g - g_sum / double(c) - n * gn_sum / double(c)) * rstd;
        }
    }
    return out;
}

namespace {
const double kGeluScale = std::sqrt(2.0 / std::acos(-1.0));
constexpr double kGeluCubic = 0.044715;
}  // namespace

Vec gelu_forward(const Vec &x) {
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        const double u = kGeluScale * (x[i] + kGeluCubic * x[i] * x[i] * x[i]);
        y[i] = 0.5 * x[i] * (1.0 + std::tanh(u));
    }
    return y;
}

Vec gelu_backward(const Vec &x, const Vec &dy) {
    Vec dx(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        const double u = kGeluScale * (x[i] + kGeluCubic * x[i] * x[i] * x[i]);
        const double t = std::tanh(u);
        const double du = kGeluScale * (1.0 + 3.0 * kGeluCubic * x[i] * x[i]);
        dx[i] = dy[i] * (0.5 * (1.0 + t) + 0.5 * x[i] * (1.0 - t * t) * du);
    }
    return dx;
}

Vec embedding_forward(int64_t sequences, int64_t positions, int64_t d, int64_t c, const Ids &tokens,
                      const Vec &wte, const Vec &wpe) {
    Vec out(size_t(sequences * positions * d * c));
    for (int64_t b = 0; b < sequences; b++) {
        for (int64_t p = 0; p < positions; p++) {
            const int64_t id = tokens[size_t(b * positions + p)];
            for (int64_t j = 0; j < d; j++) {
                for (int64_t k = 0; k < c; k++) {
                    out[size_t(((b * positions + p) * d + j) * c + k)] =
                        wte[size_t(id * c + k)] + wpe[size_t(p * c + k)];
                }
            }
        }
    }
    return out;
}

EmbeddingBackward embedding_backward(int64_t sequences, int64_t positions, int64_t d, int64_t c,
                                     int64_t vocab, int64_t table_positions, const Ids &tokens,
                                     const Vec &dout) {
    EmbeddingBackward out{Vec(size_t(vocab * c), 0.0), Vec(size_t(table_positions * c), 0.0)};
    for (int64_t b = 0; b < sequences; b++) {
        for (int64_t p = 0; p < positions; p++) {
            const int64_t id = tokens[size_t(b * positions + p)];
            for (int64_t j = 0; j < d; j++) {
                for (int64_t k = 0; k < c; k++) {
                    const double g = dout[size_t(((b * positions + p) * d + j) * c + k)];
                    out.dwte[size_t(id * c + k)] += g;
                    out.dwpe[size_t(p * c + k)] += g;
                }
            }
        }
    }
    return out;
}

Vec causal_softmax_forward(int64_t heads, int64_t t, double scale, const Vec &scores) {
    Vec probs(size_t(heads * t * t), 0.0);
    for (int64_t h = 0; h < heads; h++) {
        for (int64_t q = 0; q < t; q++) {
            const double *row = scores.data() + (h * t + q) * t;
            double largest = -INFINITY;
            for (int64_t k = 0; k <= q; k++) {
                largest = std::max(largest, scale * row[k]);
            }
            double sum = 0.0;
            for (int64_t k = 0; k <= q; k++) {
                sum += std::exp(scale * row[k] - largest);
            }
            for (int64_t k = 0; k <= q; k++) {
                probs[size_t((h * t + q) * t + k)] = std::exp(scale * row[k] - largest) / sum;
            }
        }
    }
    return probs;
}

Vec causal_softmax_backward(int64_t heads, int64_t t, double scale, const Vec &probs,
                            const Vec &dprobs) {
    Vec dscores(size_t(heads * t * t), 0.0);
    for (int64_t h = 0; h < heads; h++) {
        for (int64_t q = 0; q < t; q++) {
            const size_t row = size_t((h * t + q) * t);
            double dot = 0.0;
            for (int64_t k = 0; k <= q; k++) {
                dot += probs[row + size_t(k)] * dprobs[row + size_t(k)];
            }
            for (int64_t k = 0; k <= q; k++) {
                dscores[row + size_t(k)] =
                    scale * probs[row + size_t(k)] * (dprobs[row + size_t(k)] - dot);
            }
        }
    }
    return dscores;
}

CrossEntropyForward cross_entropy_forward(int64_t tokens, int64_t padded, int64_t vocab,
                                          const Vec &logits, const Ids &targets) {
    CrossEntropyForward out{Vec(size_t(tokens)), Vec(size_t(tokens))};
    for (int64_t t = 0; t < tokens; t++) {
        const double *row = logits.data() + t * padded;
        double largest = -INFINITY;
        for (int64_t v = 0; v < vocab; v++) {
            largest = std::max(largest, row[v]);
        }
        double sum = 0.0;
        for (int64_t v = 0; v < vocab; v++) {
            sum += std::exp(row[v] - largest);
        }
        out.lse[size_t(t)] = largest + std::log(sum);
        out.loss[size_t(t)] = out.lse[size_t(t)] - row[targets[size_t(t)]];
    }
    return out;
}

Vec cross_entropy_backward(int64_t tokens, int64_t padded, int64_t vocab, double scale,
                           const Vec &logits, const Ids &targets) {
    const CrossEntropyForward f = cross_entropy_forward(tokens, padded, vocab, logits, targets);
    Vec dlogits(size_t(tokens * padded), 0.0);
    for (int64_t t = 0; t < tokens; t++) {
        for (int64_t v = 0; v < vocab; v++) {
            const size_t i = size_t(t * padded + v);
            const double softmax = std::exp(logits[i] - f.lse[size_t(t)]);
            dlogits[i] = scale * (softmax - (v == targets[size_t(t)] ? 1.0 : 0.0));
        }
    }
    return dlogits;
}

void adamw_step(Vec &params, const Vec &grads, Vec &m, Vec &v, const std::vector<uint8_t> &decay,
                int64_t step, const AdamwHyper &hyper) {
    double squared = 0.0;
    for (double g : grads) {
        squared += g * g;
    }
    const double norm = std::sqrt(squared);
    const double clip = hyper.max_norm > 0 ? std::min(1.0, hyper.max_norm / (norm + 1e-6)) : 1.0;
    const double c1 = 1.0 - std::pow(hyper.beta1, double(step));
    const double c2 = 1.0 - std::pow(hyper.beta2, double(step));
    for (size_t i = 0; i < params.size(); i++) {
        const double g = clip * grads[i];
        m[i] = hyper.beta1 * m[i] + (1.0 - hyper.beta1) * g;
        v[i] = hyper.beta2 * v[i] + (1.0 - hyper.beta2) * g * g;
        const double update = m[i] / c1 / (std::sqrt(v[i] / c2) + hyper.eps);
        params[i] -= hyper.lr * (update + hyper.weight_decay * decay[i] * params[i]);
    }
}

}  // namespace gomhc::reference
