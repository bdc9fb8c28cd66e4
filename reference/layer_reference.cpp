#include "layer_reference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gomhc::reference {

namespace {

constexpr int kMaxN = 64;  // gomhc::kMaxN

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
            return d <= 8;
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

    const int64_t kk = lay.k;
    const int64_t k_res = kk - 2 * d;
    const double *w = params.data() + lay.w;
    const double *b = params.data() + lay.b;
    const double a_pre = params[size_t(lay.a_pre)];
    const double a_post = params[size_t(lay.a_post)];
    const double a_res = params[size_t(lay.a_res)];

    out.x_norm.assign(size_t(tokens * dc), 0.0);
    out.z.assign(size_t(tokens * kk), 0.0);
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
        double *xn = out.x_norm.data() + t * dc;
        for (int64_t m = 0; m < dc; ++m) {
            xn[m] = x[size_t(t * dc + m)] * inv_rms;
        }
        // z = x' W^T
        double *z = out.z.data() + t * kk;
        for (int64_t k = 0; k < kk; ++k) {
            double v = 0.0;
            for (int64_t m = 0; m < dc; ++m) {
                v += w[k * dc + m] * xn[m];
            }
            z[k] = v;
        }
        for (int j = 0; j < d; ++j) {
            out.h_pre[size_t(t * d + j)] = sigmoid(a_pre * z[j] + b[j]);
            out.h_post[size_t(t * d + j)] = 2.0 * sigmoid(a_post * z[d + j] + b[d + j]);
        }
        for (int64_t r = 0; r < k_res; ++r) {
            out.logits[size_t(t * k_res + r)] = a_res * z[2 * d + r] + b[2 * d + r];
        }
    }
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
