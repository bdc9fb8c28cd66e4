#include "layer_reference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gomhc/limits.hpp"

namespace gomhc::reference {

namespace {

void require(bool ok, const std::string &message) {
    if (!ok) {
        throw std::invalid_argument("gomhc::reference: " + message);
    }
}

void require_size(const Vec &v, int64_t expected, const char *what) {
    require(int64_t(v.size()) == expected, std::string(what) + " has " + std::to_string(v.size()) +
                                               " entries, expected " + std::to_string(expected));
}

bool is_power_of_two(int d) { return d >= 1 && (d & (d - 1)) == 0; }

int log2_exact(int d) {
    int m = 0;
    while ((1 << m) < d) {
        ++m;
    }
    return m;
}

int64_t factorial(int d) {
    int64_t f = 1;
    for (int i = 2; i <= d; ++i) {
        f *= i;
    }
    return f;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// The go mixer of one token: n = d*s, p has n(n-1)/2 entries.
Vec go_one(int d, int s, const double *p) {
    const int n = d * s;
    const Vec params(p, p + pair_count(n));
    return orthostochastic_forward(1, d, s, cayley_forward(1, n, params));
}

}  // namespace

// ---------------------------------------------------------------------------
// Residual mixers.

std::vector<MixerMethod> all_mixer_methods() {
    return {MixerMethod::residual, MixerMethod::hc, MixerMethod::mhc,    MixerMethod::mhc_lite,
            MixerMethod::kromhc,   MixerMethod::go, MixerMethod::go_kron};
}

std::string mixer_method_name(MixerMethod method) {
    switch (method) {
        case MixerMethod::residual:
            return "residual";
        case MixerMethod::hc:
            return "hc";
        case MixerMethod::mhc:
            return "mhc";
        case MixerMethod::mhc_lite:
            return "mhc-lite";
        case MixerMethod::kromhc:
            return "kromhc";
        case MixerMethod::go:
            return "go";
        case MixerMethod::go_kron:
            return "go-kron";
    }
    throw std::invalid_argument("gomhc::reference: unknown MixerMethod");
}

MixerMethod parse_mixer_method(const std::string &name) {
    for (MixerMethod m : all_mixer_methods()) {
        if (mixer_method_name(m) == name) {
            return m;
        }
    }
    throw std::invalid_argument("gomhc::reference: unknown mixer method '" + name + "'");
}

void go_kron_factors(int d, int *d1, int *d2) {
    int best = 0;
    for (int a = 2; a * a <= d; ++a) {
        if (d % a == 0) {
            best = a;  // ascending, so the last hit is the largest
        }
    }
    require(best != 0, "go-kron needs a composite d, got d = " + std::to_string(d));
    *d1 = best;
    *d2 = d / best;
}

bool mixer_shape_ok(MixerMethod method, int d, int s) {
    if (d < 1 || s < 1 || d > kMaxN) {
        return false;
    }
    switch (method) {
        case MixerMethod::residual:
            return d == 1;
        case MixerMethod::hc:
        case MixerMethod::mhc:
            return true;
        case MixerMethod::mhc_lite:
            return d <= kMaxMhcLiteD;
        case MixerMethod::kromhc:
            return is_power_of_two(d);
        case MixerMethod::go:
            return int64_t(d) * s <= kMaxN;
        case MixerMethod::go_kron: {
            if (int64_t(d) * s > kMaxN) {
                return false;
            }
            for (int a = 2; a * a <= d; ++a) {
                if (d % a == 0) {
                    return true;
                }
            }
            return false;
        }
    }
    return false;
}

void check_mixer_shape(MixerMethod method, int d, int s) {
    require(mixer_shape_ok(method, d, s), mixer_method_name(method) + " cannot take d = " +
                                              std::to_string(d) + ", s = " + std::to_string(s));
}

int64_t mixer_logit_count(MixerMethod method, int d, int s) {
    check_mixer_shape(method, d, s);
    switch (method) {
        case MixerMethod::residual:
            return 0;
        case MixerMethod::hc:
        case MixerMethod::mhc:
            return int64_t(d) * d;
        case MixerMethod::mhc_lite:
            return factorial(d);
        case MixerMethod::kromhc:
            return log2_exact(d);
        case MixerMethod::go:
            return pair_count(d * s);
        case MixerMethod::go_kron: {
            int d1 = 0, d2 = 0;
            go_kron_factors(d, &d1, &d2);
            return pair_count(d1 * s) + pair_count(d2 * s);
        }
    }
    return 0;
}

std::vector<std::vector<int>> permutations_lex(int d) {
    std::vector<int> perm(size_t(std::max(d, 0)));
    for (int i = 0; i < d; ++i) {
        perm[size_t(i)] = i;
    }
    std::vector<std::vector<int>> out;
    do {
        out.push_back(perm);
    } while (std::next_permutation(perm.begin(), perm.end()));
    return out;
}

Vec kronecker(int p, const Vec &a, int q, const Vec &b) {
    require_size(a, int64_t(p) * p, "kronecker a");
    require_size(b, int64_t(q) * q, "kronecker b");
    const int n = p * q;
    Vec out(size_t(n) * n);
    for (int i = 0; i < p; ++i) {
        for (int j = 0; j < p; ++j) {
            for (int k = 0; k < q; ++k) {
                for (int l = 0; l < q; ++l) {
                    out[size_t(i * q + k) * n + (j * q + l)] =
                        a[size_t(i) * p + j] * b[size_t(k) * q + l];
                }
            }
        }
    }
    return out;
}

double log_sum_exp(const double *v, int count, int stride) {
    double m = -INFINITY;
    for (int k = 0; k < count; ++k) {
        m = std::max(m, v[size_t(k) * stride]);
    }
    if (std::isinf(m)) {
        return m;
    }
    double sum = 0.0;
    for (int k = 0; k < count; ++k) {
        sum += std::exp(v[size_t(k) * stride] - m);
    }
    return m + std::log(sum);
}

Vec sinkhorn(int d, const double *logits, int iterations) {
    Vec f(size_t(d), 0.0), g(size_t(d), 0.0), work(size_t(d), 0.0);
    for (int it = 0; it < iterations; ++it) {
        for (int i = 0; i < d; ++i) {  // rows: f_i = -LSE_j(L_ij + g_j)
            for (int j = 0; j < d; ++j) {
                work[size_t(j)] = logits[size_t(i) * d + j] + g[size_t(j)];
            }
            f[size_t(i)] = -log_sum_exp(work.data(), d, 1);
        }
        for (int j = 0; j < d; ++j) {  // columns: g_j = -LSE_i(L_ij + f_i)
            for (int i = 0; i < d; ++i) {
                work[size_t(i)] = logits[size_t(i) * d + j] + f[size_t(i)];
            }
            g[size_t(j)] = -log_sum_exp(work.data(), d, 1);
        }
    }
    Vec h(size_t(d) * d);
    for (int i = 0; i < d; ++i) {
        for (int j = 0; j < d; ++j) {
            h[size_t(i) * d + j] =
                std::exp(logits[size_t(i) * d + j] + f[size_t(i)] + g[size_t(j)]);
        }
    }
    return h;
}

Vec mixer_forward(MixerMethod method, int64_t tokens, int d, int s, const Vec &logits) {
    require(tokens >= 0, "tokens < 0");
    const int64_t k = mixer_logit_count(method, d, s);
    require_size(logits, tokens * k, "logits");
    const size_t dd = size_t(d) * d;

    Vec h(size_t(tokens) * dd, 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        const double *l = logits.data() + t * k;
        Vec ht(dd, 0.0);
        switch (method) {
            case MixerMethod::residual:
                ht[0] = 1.0;
                break;
            case MixerMethod::hc:
                std::copy(l, l + dd, ht.begin());
                break;
            case MixerMethod::mhc:
                ht = sinkhorn(d, l, kSinkhornIterations);
                break;
            case MixerMethod::mhc_lite: {
                // softmax over the d! permutation logits
                const double lse = log_sum_exp(l, int(k), 1);
                const auto perms = permutations_lex(d);
                for (size_t p = 0; p < perms.size(); ++p) {
                    const double w = std::exp(l[p] - lse);
                    for (int i = 0; i < d; ++i) {
                        ht[size_t(i) * d + perms[p][size_t(i)]] += w;
                    }
                }
                break;
            }
            case MixerMethod::kromhc: {
                // B_0 (x) B_1 (x) ...: B_0 ends up on the most significant bit.
                Vec acc{1.0};
                int size = 1;
                for (int64_t f = 0; f < k; ++f) {
                    const double tl = sigmoid(l[f]);
                    const Vec b{tl, 1.0 - tl, 1.0 - tl, tl};
                    acc = kronecker(size, acc, 2, b);
                    size *= 2;
                }
                ht = acc;
                break;
            }
            case MixerMethod::go:
                ht = go_one(d, s, l);
                break;
            case MixerMethod::go_kron: {
                int d1 = 0, d2 = 0;
                go_kron_factors(d, &d1, &d2);
                const Vec h1 = go_one(d1, s, l);
                const Vec h2 = go_one(d2, s, l + pair_count(d1 * s));
                ht = kronecker(d1, h1, d2, h2);
                break;
            }
        }
        std::copy(ht.begin(), ht.end(), h.begin() + t * int64_t(dd));
    }
    return h;
}

// ---------------------------------------------------------------------------
// The hyper-connection layer.

int64_t layer_coefficient_count(const LayerShape &shape) {
    if (shape.method == MixerMethod::residual) {
        check_mixer_shape(shape.method, shape.d, shape.s);
        return 0;
    }
    return 2 * int64_t(shape.d) + mixer_logit_count(shape.method, shape.d, shape.s);
}

LayerParamLayout layer_param_layout(const LayerShape &shape) {
    require(shape.c >= 1, "c < 1");
    LayerParamLayout p;
    p.k = layer_coefficient_count(shape);
    if (p.k == 0) {
        return p;  // residual: no parameters at all
    }
    const int64_t dc = shape.d * shape.c;
    p.w = 0;
    p.b = p.k * dc;
    p.a_pre = p.b + p.k;
    p.a_post = p.a_pre + 1;
    p.a_res = p.a_post + 1;
    p.count = p.a_res + 1;
    return p;
}

int64_t layer_param_count(const LayerShape &shape) { return layer_param_layout(shape).count; }

CoefficientPath coefficient_forward(int64_t tokens, int d, int64_t c, int64_t k, const Vec &x,
                                    const Vec &w, const Vec &b, const Vec &a) {
    const int64_t dc = d * c;
    const int64_t k_res = k - 2 * d;
    require(tokens >= 0 && d >= 1 && c >= 1, "coefficient path: tokens < 0, d < 1 or c < 1");
    require(k_res >= 0, "coefficient path: K < 2d");
    require_size(x, tokens * dc, "x");
    require_size(w, k * dc, "w");
    require_size(b, k, "b");
    require_size(a, 3, "a");
    CoefficientPath out;
    out.inv_rms.assign(size_t(tokens), 0.0);
    out.x_norm.assign(size_t(tokens * dc), 0.0);
    out.z.assign(size_t(tokens * k), 0.0);
    out.h_pre.assign(size_t(tokens * d), 0.0);
    out.h_post.assign(size_t(tokens * d), 0.0);
    out.logits.assign(size_t(tokens * k_res), 0.0);
    for (int64_t t = 0; t < tokens; ++t) {
        // RMSNorm of the flattened streams, eps inside the square root, no gain.
        double sum_sq = 0.0;
        for (int64_t m = 0; m < dc; ++m) {
            sum_sq += x[size_t(t * dc + m)] * x[size_t(t * dc + m)];
        }
        const double inv_rms = 1.0 / std::sqrt(sum_sq / double(dc) + kRmsNormEps);
        out.inv_rms[size_t(t)] = inv_rms;
        double *xn = out.x_norm.data() + t * dc;
        for (int64_t m = 0; m < dc; ++m) {
            xn[m] = x[size_t(t * dc + m)] * inv_rms;
        }
        // z = x' W^T
        double *z = out.z.data() + t * k;
        for (int64_t kk = 0; kk < k; ++kk) {
            double v = 0.0;
            for (int64_t m = 0; m < dc; ++m) {
                v += w[size_t(kk * dc + m)] * xn[m];
            }
            z[kk] = v;
        }
        for (int j = 0; j < d; ++j) {
            out.h_pre[size_t(t * d + j)] = sigmoid(a[0] * z[j] + b[size_t(j)]);
            out.h_post[size_t(t * d + j)] = 2.0 * sigmoid(a[1] * z[d + j] + b[size_t(d + j)]);
        }
        for (int64_t r = 0; r < k_res; ++r) {
            out.logits[size_t(t * k_res + r)] = a[2] * z[2 * d + r] + b[size_t(2 * d + r)];
        }
    }
    return out;
}

CoefficientGrads coefficient_backward(int64_t tokens, int d, int64_t c, int64_t k, const Vec &x,
                                      const Vec &w, const Vec &b, const Vec &a, const Vec &dy,
                                      const Vec &dh_post, const Vec &dlogits) {
    return coefficient_backward_saved(tokens, d, c, k, x, w, a,
                                      coefficient_forward(tokens, d, c, k, x, w, b, a), dy, dh_post,
                                      dlogits);
}

CoefficientGrads coefficient_backward_saved(int64_t tokens, int d, int64_t c, int64_t k,
                                            const Vec &x, const Vec &w, const Vec &a,
                                            CoefficientPath fw, const Vec &dy, const Vec &dh_post,
                                            const Vec &dlogits) {
    const int64_t dc = d * c;
    const int64_t k_res = k - 2 * d;
    require_size(x, tokens * dc, "x");
    require_size(w, k * dc, "w");
    require_size(a, 3, "a");
    require_size(fw.inv_rms, tokens, "inv_rms");
    require_size(fw.z, tokens * k, "z");
    require_size(fw.h_pre, tokens * d, "h_pre");
    require_size(fw.h_post, tokens * d, "h_post");
    fw.x_norm.assign(size_t(tokens * dc), 0.0);
    for (int64_t m = 0; m < tokens * dc; ++m) {
        fw.x_norm[size_t(m)] = x[size_t(m)] * fw.inv_rms[size_t(m / dc)];
    }
    require_size(dy, tokens * c, "dy");
    require_size(dh_post, tokens * d, "dh_post");
    require_size(dlogits, tokens * k_res, "dlogits");
    CoefficientGrads g;
    g.dx.assign(size_t(tokens * dc), 0.0);
    g.dw.assign(size_t(k * dc), 0.0);
    g.db.assign(size_t(k), 0.0);
    g.da.assign(3, 0.0);
    Vec e(static_cast<size_t>(k)), dz(static_cast<size_t>(k)), dx_norm(static_cast<size_t>(dc));
    for (int64_t t = 0; t < tokens; ++t) {
        const double *xt = x.data() + t * dc;
        const double *xn = fw.x_norm.data() + t * dc;
        const double *z = fw.z.data() + t * k;
        double *dxt = g.dx.data() + t * dc;
        // e: dL/d(pre-activation) of each coefficient; dz = a_group * e.
        for (int j = 0; j < d; ++j) {
            double dh_pre = 0.0;  // y = sum_j h_pre[j] X[j]
            for (int64_t f = 0; f < c; ++f) {
                dh_pre += dy[size_t(t * c + f)] * xt[j * c + f];
                dxt[j * c + f] += fw.h_pre[size_t(t * d + j)] * dy[size_t(t * c + f)];
            }
            const double s = fw.h_pre[size_t(t * d + j)];
            const double h = fw.h_post[size_t(t * d + j)];  // 2 sigmoid: dh/du = h (1 - h/2)
            e[size_t(j)] = dh_pre * s * (1.0 - s);
            e[size_t(d + j)] = dh_post[size_t(t * d + j)] * h * (1.0 - 0.5 * h);
        }
        for (int64_t r = 0; r < k_res; ++r) {
            e[size_t(2 * d + r)] = dlogits[size_t(t * k_res + r)];
        }
        for (int64_t kk = 0; kk < k; ++kk) {
            const int group = kk < d ? 0 : kk < 2 * d ? 1 : 2;
            dz[size_t(kk)] = a[size_t(group)] * e[size_t(kk)];
            g.db[size_t(kk)] += e[size_t(kk)];
            g.da[size_t(group)] += e[size_t(kk)] * z[kk];
        }
        // z = W x_norm: dW += dz x_norm^T, dx_norm = W^T dz.
        std::fill(dx_norm.begin(), dx_norm.end(), 0.0);
        for (int64_t kk = 0; kk < k; ++kk) {
            for (int64_t m = 0; m < dc; ++m) {
                g.dw[size_t(kk * dc + m)] += dz[size_t(kk)] * xn[m];
                dx_norm[size_t(m)] += dz[size_t(kk)] * w[size_t(kk * dc + m)];
            }
        }
        // x_norm = x * rho, rho = (mean(x^2) + eps)^(-1/2):
        // dx = rho dx_norm - x rho^3 / D <x, dx_norm>.
        const double rho = fw.inv_rms[size_t(t)];
        double x_dot = 0.0;
        for (int64_t m = 0; m < dc; ++m) {
            x_dot += xt[m] * dx_norm[size_t(m)];
        }
        for (int64_t m = 0; m < dc; ++m) {
            dxt[m] += rho * dx_norm[size_t(m)] - xt[m] * rho * rho * rho / double(dc) * x_dot;
        }
    }
    return g;
}

LayerForward layer_forward(const LayerShape &shape, int64_t tokens, const Vec &params, const Vec &x,
                           const Vec &f) {
    const int d = shape.d;
    const int64_t c = shape.c;
    const int64_t dc = d * c;
    const LayerParamLayout lay = layer_param_layout(shape);
    require(tokens >= 0, "tokens < 0");
    require_size(params, lay.count, "params");
    require_size(x, tokens * dc, "x");
    require_size(f, tokens * c, "f");

    LayerForward out;
    if (shape.method == MixerMethod::residual) {
        out.h_pre.assign(size_t(tokens), 1.0);
        out.h_post.assign(size_t(tokens), 1.0);
        out.h_res.assign(size_t(tokens), 1.0);
        out.y = x;  // d = 1: the one stream
        out.x_next.resize(x.size());
        for (int64_t t = 0; t < tokens; ++t) {
            for (int64_t k = 0; k < c; ++k) {
                out.x_next[size_t(t * c + k)] = x[size_t(t * c + k)] + f[size_t(t * c + k)];
            }
        }
        return out;
    }

    const Vec w(params.begin() + lay.w, params.begin() + lay.w + lay.k * dc);
    const Vec b(params.begin() + lay.b, params.begin() + lay.b + lay.k);
    const Vec a = {params[size_t(lay.a_pre)], params[size_t(lay.a_post)],
                   params[size_t(lay.a_res)]};
    CoefficientPath path = coefficient_forward(tokens, d, c, lay.k, x, w, b, a);
    out.x_norm = std::move(path.x_norm);
    out.z = std::move(path.z);
    out.h_pre = std::move(path.h_pre);
    out.h_post = std::move(path.h_post);
    out.logits = std::move(path.logits);
    out.h_res = mixer_forward(shape.method, tokens, d, shape.s, out.logits);
    out.y = stream_read_forward(tokens, d, c, x, out.h_pre);
    out.x_next = stream_write_forward(tokens, d, c, x, out.h_res, out.h_post, f);
    return out;
}

LayerForward layer_forward_identity(const LayerShape &shape, int64_t tokens, const Vec &params,
                                    const Vec &x) {
    // y does not depend on f, so a first pass with any f gives it.
    const Vec y = layer_forward(shape, tokens, params, x, Vec(size_t(tokens * shape.c), 0.0)).y;
    return layer_forward(shape, tokens, params, x, y);
}

double layer_loss(const LayerShape &shape, int64_t tokens, const Vec &params, const Vec &x,
                  const Vec &f, const Vec &g_x_next, const Vec &g_y) {
    const LayerForward fw = layer_forward(shape, tokens, params, x, f);
    double loss = dot(g_x_next, fw.x_next);
    if (!g_y.empty()) {
        loss += dot(g_y, fw.y);
    }
    return loss;
}

double layer_loss_identity(const LayerShape &shape, int64_t tokens, const Vec &params, const Vec &x,
                           const Vec &g_x_next) {
    return dot(g_x_next, layer_forward_identity(shape, tokens, params, x).x_next);
}

}  // namespace gomhc::reference
