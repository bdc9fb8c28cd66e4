#include "model_reference.h"

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

}  // namespace gomhc::reference
