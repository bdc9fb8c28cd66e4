#include "tuning_case.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "gomhc_reference.h"
#include "layer_reference.h"

namespace gomhc::autotune {
namespace {

namespace ref = gomhc::reference;
using Halide::Buffer;

// A float buffer of row-major shape [T][...], filled with U(lo, hi).
Buffer<float> make_buffer(const std::vector<int> &row_major, std::mt19937_64 &rng, float lo,
                          float hi) {
    std::vector<int> halide_shape(row_major.rbegin(), row_major.rend());
    Buffer<float> b(halide_shape);
    std::uniform_real_distribution<float> u(lo, hi);
    b.for_each_value([&](float &v) { v = u(rng); });
    return b;
}

Buffer<float> from_vec(const std::vector<int> &row_major, const ref::Vec &values) {
    std::vector<int> halide_shape(row_major.rbegin(), row_major.rend());
    Buffer<float> b(halide_shape);
    std::transform(values.begin(), values.end(), b.data(), [](double v) { return float(v); });
    return b;
}

ref::Vec to_vec(const Halide::Buffer<float> &b) {
    return ref::Vec(b.data(), b.data() + b.number_of_elements());
}

// Elements [first, first + count) tokens of a row-major [T][...] buffer.
ref::Vec token_slice(const Halide::Buffer<> &b, int64_t first, int64_t count) {
    const int64_t per_token = int64_t(b.number_of_elements()) / b.dim(b.dimensions() - 1).extent();
    const float *data = reinterpret_cast<const float *>(b.data());
    return ref::Vec(data + first * per_token, data + (first + count) * per_token);
}

}  // namespace

std::vector<TuningShape> tuning_shapes(const std::string &op) {
    std::vector<TuningShape> shapes;
    if (op.rfind("stream_", 0) == 0) {
        // The target shape of the stream ops first, then wider d.
        shapes.push_back({op, "d4", 16384, 4, 1, 256});
        shapes.push_back({op, "d8", 4096, 8, 1, 768});
        shapes.push_back({op, "d16", 4096, 16, 1, 768});
    } else if (op == "cayley_forward" || op == "cayley_backward" ||
               op == "orthostochastic_forward" || op == "orthostochastic_backward") {
        const bool cayley = op.rfind("cayley", 0) == 0;
        for (auto [d, s] : {std::pair{4, 2}, {4, 1}, {4, 3}, {8, 2}, {16, 2}}) {
            const std::string variant = cayley ? "n" + std::to_string(d * s)
                                               : "d" + std::to_string(d) + "s" + std::to_string(s);
            shapes.push_back({op, variant, 4096, d, s, 1});
        }
    } else if (op == "coefficients_forward") {
        // The layer's benchmark shape, go s = 2: K = 2d + 28.
        shapes.push_back({op, "generic", 4096, 4, 2, 768, 36});
    } else if (op == "coefficients_backward") {
        // The layer runs `narrow` below K = 12 (kromhc and go-kron s = 1 at
        // d = 4: K = 10).
        shapes.push_back({op, "generic", 4096, 4, 2, 768, 36});
        shapes.push_back({op, "narrow", 4096, 4, 1, 768, 10});
    } else {
        throw std::invalid_argument("unknown op '" + op + "'");
    }
    return shapes;
}

TuningCase::TuningCase(const TuningShape &shape)
    : op_(shape.op),
      variant_(shape.variant),
      tokens_(shape.tokens),
      d_(shape.d),
      s_(shape.s),
      n_(shape.d * shape.s),
      c_(shape.c),
      k_(shape.k) {
    std::mt19937_64 rng(0x9e3779b97f4a7c15ull);
    const int T = int(tokens_), n = n_, P = n * (n - 1) / 2, C = int(c_);
    auto orthogonal = [&] {  // Q of random parameters, so Q is really orthogonal
        std::normal_distribution<double> normal(0.0, 1.0);
        ref::Vec params(size_t(T) * P);
        for (double &v : params) {
            v = normal(rng);
        }
        return from_vec({T, n, n}, ref::cayley_forward(T, n, params));
    };
    if (op_.rfind("coefficients_", 0) == 0) {
        make_coefficient_inputs(rng);
    } else if (op_ == "cayley_forward") {
        Buffer<float> params(P, T);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        params.for_each_value([&](float &v) { v = normal(rng); });
        inputs_ = {params};
        outputs_ = {Buffer<float>(n, n, T)};
    } else if (op_ == "cayley_backward") {
        inputs_ = {orthogonal(), make_buffer({T, n, n}, rng, -1, 1)};
        outputs_ = {Buffer<float>(P, T)};
    } else if (op_ == "orthostochastic_forward") {
        inputs_ = {orthogonal()};
        outputs_ = {Buffer<float>(d_, d_, T)};
    } else if (op_ == "orthostochastic_backward") {
        inputs_ = {orthogonal(), make_buffer({T, d_, d_}, rng, -1, 1)};
        outputs_ = {Buffer<float>(n, n, T)};
    } else {
        Buffer<float> x = make_buffer({T, d_, C}, rng, -1, 1);
        Buffer<float> h_pre = make_buffer({T, d_}, rng, 0, 1);
        Buffer<float> h_res = make_buffer({T, d_, d_}, rng, 0, 1);
        Buffer<float> h_post = make_buffer({T, d_}, rng, 0, 2);
        Buffer<float> row = make_buffer({T, C}, rng, -1, 1);
        if (op_ == "stream_read_forward") {
            inputs_ = {x, h_pre};
            outputs_ = {Buffer<float>(C, T)};
        } else if (op_ == "stream_read_backward") {
            inputs_ = {x, h_pre, row};
            outputs_ = {Buffer<float>(C, d_, T), Buffer<float>(d_, T)};
        } else if (op_ == "stream_write_forward") {
            inputs_ = {x, h_res, h_post, row};
            outputs_ = {Buffer<float>(C, d_, T)};
        } else if (op_ == "stream_write_backward") {
            inputs_ = {x, h_res, h_post, row, make_buffer({T, d_, C}, rng, -1, 1)};
            outputs_ = {Buffer<float>(C, d_, T), Buffer<float>(d_, d_, T), Buffer<float>(d_, T),
                        Buffer<float>(C, T)};
        } else {
            throw std::invalid_argument("unknown op '" + op_ + "'");
        }
    }
}

void TuningCase::make_coefficient_inputs(std::mt19937_64 &rng) {
    const int T = int(tokens_), d = d_, C = int(c_), K = int(k_);
    // W small enough that z (a dot product of D = d*C unit-RMS features)
    // stays O(1), where the sigmoids are not saturated.
    Buffer<float> x = make_buffer({T, d, C}, rng, -1, 1);
    Buffer<float> w = make_buffer({K, d, C}, rng, -0.02f, 0.02f);
    Buffer<float> bias = make_buffer({K}, rng, -0.5f, 0.5f);
    Buffer<float> scales = make_buffer({3}, rng, 0.5f, 1.5f);
    if (op_ == "coefficients_forward") {
        inputs_ = {x, w, bias, scales};
        outputs_ = {Buffer<float>(C, T),         Buffer<float>(d, T), Buffer<float>(d, T),
                    Buffer<float>(K - 2 * d, T), Buffer<float>(K, T), Buffer<float>(T)};
        return;
    }
    // The backward reads what the forward saved: made here by the reference.
    const ref::Vec xv = to_vec(x), wv = to_vec(w), bv = to_vec(bias), av = to_vec(scales);
    const ref::CoefficientPath path = ref::coefficient_forward(T, d, C, K, xv, wv, bv, av);
    Buffer<float> dy = make_buffer({T, C}, rng, -1, 1);
    Buffer<float> dh_post = make_buffer({T, d}, rng, -1, 1);
    Buffer<float> dlogits = make_buffer({T, K - 2 * d}, rng, -1, 1);
    Buffer<float> dx_in = make_buffer({T, d, C}, rng, -1, 1);
    Buffer<float> dw_in = make_buffer({K, d, C}, rng, -1, 1);
    Buffer<float> db_in = make_buffer({K}, rng, -1, 1);
    Buffer<float> da_in = make_buffer({3}, rng, -1, 1);
    inputs_ = {x,
               w,
               scales,
               from_vec({T, K}, path.z),
               from_vec({T}, path.inv_rms),
               from_vec({T, d}, path.h_pre),
               from_vec({T, d}, path.h_post),
               dy,
               dh_post,
               dlogits,
               dx_in,
               dw_in,
               db_in,
               da_in};
    // The kernel adds its gradients to the *_in inputs, and the runtime
    // passes the output's own memory as them (a trainer accumulates): so
    // does the tuner, as that changes what a schedule costs. A candidate's
    // first run (the checked one) adds to these initial values; it runs in a
    // child process, so the values here stay as they are for the next one.
    outputs_ = {dx_in, dw_in, db_in, da_in};
    ref::CoefficientGrads g = ref::coefficient_backward(T, d, C, K, xv, wv, bv, av, to_vec(dy),
                                                        to_vec(dh_post), to_vec(dlogits));
    expected_ = {g.dx, g.dw, g.db, g.da};
    const Buffer<float> *added[] = {&dx_in, &dw_in, &db_in, &da_in};
    for (size_t o = 0; o < expected_.size(); o++) {
        const ref::Vec in = to_vec(*added[o]);
        for (size_t i = 0; i < in.size(); i++) {
            expected_[o][i] += in[i];
        }
    }
}

std::vector<TuningCase> TuningCase::edge_cases() const {
    // Stream ops and the coefficient path also get an odd feature count.
    const bool features = op_.rfind("stream_", 0) == 0 || op_.rfind("coefficients_", 0) == 0;
    return {TuningCase({op_, variant_, 1, d_, s_, features ? 1 : c_, k_}),
            TuningCase({op_, variant_, 37, d_, s_, features ? 37 : c_, k_})};
}

std::string TuningCase::shape() const {
    std::string text = "T=" + std::to_string(tokens_) + " d=" + std::to_string(d_);
    if (op_.rfind("coefficients_", 0) == 0) {
        return text + " C=" + std::to_string(c_) + " K=" + std::to_string(k_);
    }
    return op_.rfind("stream_", 0) == 0 ? text + " C=" + std::to_string(c_)
                                        : text + " s=" + std::to_string(s_);
}

std::map<std::string, std::string> TuningCase::shape_params() const {
    if (op_.rfind("coefficients_", 0) == 0) {
        // d, C and K are run-time sizes; `narrow` is the unpacked backward.
        if (variant_ == "narrow") return {{"pack_weights", "false"}};
        return {};
    }
    if (op_.rfind("cayley", 0) == 0) {
        return {{"n", std::to_string(n_)}};
    }
    if (op_.rfind("orthostochastic", 0) == 0) {
        return {{"d", std::to_string(d_)}, {"s", std::to_string(s_)}};
    }
    return {{"d", std::to_string(d_)}};
}

void TuningCase::bind_inputs(Halide::Internal::GeneratorBase &g) const {
    const auto &in = inputs_;
    if (op_ == "cayley_forward") {
        g.set_inputs(int32_t(n_), in[0]);
    } else if (op_ == "cayley_backward") {
        g.set_inputs(in[0], in[1]);
    } else if (op_ == "orthostochastic_forward") {
        g.set_inputs(int32_t(d_), int32_t(s_), in[0]);
    } else if (op_ == "orthostochastic_backward") {
        g.set_inputs(int32_t(d_), int32_t(s_), in[0], in[1]);
    } else if (op_ == "stream_read_forward") {
        g.set_inputs(in[0], in[1]);
    } else if (op_ == "stream_read_backward") {
        g.set_inputs(in[0], in[1], in[2]);
    } else if (op_ == "stream_write_forward" || op_ == "coefficients_forward") {
        g.set_inputs(in[0], in[1], in[2], in[3]);
    } else if (op_ == "coefficients_backward") {
        g.set_inputs(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8], in[9], in[10],
                     in[11], in[12], in[13]);
    } else {
        g.set_inputs(in[0], in[1], in[2], in[3], in[4]);
    }
}

std::vector<double> TuningCase::reference(int64_t first, int64_t count, size_t output) const {
    const int d = d_, s = s_, n = n_;
    if (op_ == "coefficients_forward") {  // only x is per token
        const ref::Vec x = token_slice(inputs_[0], first, count);
        const ref::CoefficientPath p = ref::coefficient_forward(
            count, d, c_, k_, x, to_vec(inputs_[1]), to_vec(inputs_[2]), to_vec(inputs_[3]));
        if (output == 0) return ref::stream_read_forward(count, d, c_, x, p.h_pre);
        return std::vector<ref::Vec>{p.h_pre, p.h_post, p.logits, p.z, p.inv_rms}[output - 1];
    }
    std::vector<ref::Vec> in;
    for (const auto &b : inputs_) {
        in.push_back(token_slice(b, first, count));
    }
    if (op_ == "cayley_forward") return ref::cayley_forward(count, n, in[0]);
    if (op_ == "cayley_backward") return ref::cayley_backward(count, n, in[0], in[1]);
    if (op_ == "orthostochastic_forward") return ref::orthostochastic_forward(count, d, s, in[0]);
    if (op_ == "orthostochastic_backward")
        return ref::orthostochastic_backward(count, d, s, in[0], in[1]);
    if (op_ == "stream_read_forward") return ref::stream_read_forward(count, d, c_, in[0], in[1]);
    if (op_ == "stream_read_backward") {
        auto g = ref::stream_read_backward(count, d, c_, in[0], in[1], in[2]);
        return output == 0 ? g.dx : g.dh_pre;
    }
    if (op_ == "stream_write_forward")
        return ref::stream_write_forward(count, d, c_, in[0], in[1], in[2], in[3]);
    auto g = ref::stream_write_backward(count, d, c_, in[0], in[1], in[2], in[3], in[4]);
    return std::vector<ref::Vec>{g.dx, g.dh_res, g.dh_post, g.df}[output];
}

std::string TuningCase::check_outputs() const {
    // The largest |got - expected| (infinite where got is not finite) and
    // the largest |expected|, which scales the tolerance.
    auto difference = [](const ref::Vec &got, const ref::Vec &expected) {
        double scale = 1e-30, worst = 0;
        for (size_t i = 0; i < got.size(); i++) {
            scale = std::max(scale, std::abs(expected[i]));
            worst =
                std::max(worst, std::isfinite(got[i]) ? std::abs(got[i] - expected[i]) : INFINITY);
        }
        return std::pair{worst, scale};
    };
    auto describe = [](size_t output, double worst, double scale) {
        char text[128];
        std::snprintf(text, sizeof text,
                      "output %zu differs from the reference by %.3g (largest entry %.3g)", output,
                      worst, scale);
        return std::string(text);
    };
    const double relative_tolerance = 1e-4;
    if (!expected_.empty()) {  // sums over all tokens: compare everything
        for (size_t o = 0; o < outputs_.size(); o++) {
            const Halide::Buffer<> &out = outputs_[o];
            const auto [worst, scale] = difference(
                token_slice(out, 0, out.dim(out.dimensions() - 1).extent()), expected_[o]);
            if (!(worst <= relative_tolerance * scale)) {
                return describe(o, worst, scale);
            }
        }
        return "";
    }
    // The first and last tokens cover the edges of every tiling; checking
    // them (not all T) keeps a candidate's check cheaper than its timing.
    const int64_t sample = std::min<int64_t>(tokens_, 64);
    for (int64_t first : {int64_t(0), tokens_ - sample}) {
        for (size_t o = 0; o < outputs_.size(); o++) {
            const auto [worst, scale] =
                difference(token_slice(outputs_[o], first, sample), reference(first, sample, o));
            const double tolerance =
                op_ == "cayley_forward" ? relative_tolerance : relative_tolerance * scale;
            if (!(worst <= tolerance)) {
                return describe(o, worst, scale) + " at tokens " + std::to_string(first) + "..";
            }
        }
    }
    return "";
}

}  // namespace gomhc::autotune
