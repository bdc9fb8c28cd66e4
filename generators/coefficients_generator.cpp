// The dynamic coefficient path of a hyper-connection (docs/math.md section 1), with
// the read y = H_pre X that consumes its first output (stream_read.h), forward
// and backward.
//
// Per token, with X [d][C] flattened to x = vec(X) of length D = d*C:
//   rho    = 1 / sqrt(mean(x^2) + eps)          (RMSNorm without a gain)
//   z[k]   = rho * sum_r x[r] W[k][r]           (the norm fused after the product)
//   H_pre  = sigmoid(a_pre z[0:d] + b[0:d])
//   H_post = 2 sigmoid(a_post z[d:2d] + b[d:2d])
//   logits = a_res z[2d:K] + b[2d:K]            (the residual mixer's input)
//   y[c]   = sum_j H_pre[j] X[j][c]
// Backward, with the upstream dy, dH_post, dlogits:
//   dH_pre[j] = sum_c dy[c] X[j][c]
//   e[k]      = dH_pre s(1-s) | dH_post h(1-h/2) | dlogits      (d act / d pre-activation)
//   g[k]      = a_group(k) e[k]                                   (dL/dz)
//   dX[r]    += rho sum_k g[k] W[k][r] - x[r] rho^2 / D sum_k g[k] z[k] + H_pre[j] dy[c]
//   dW[k][r] += sum_t rho g[k] x[r];  db[k] += sum_t e[k];  da_group += sum_t e[k] z[k]
// The backward adds into dx, dw, db and da (the runtime passes the same memory
// as the *_in inputs), because a trainer accumulates these gradients.
//
// X and W are [T][d][C] and [K][d][C] buffers; the token count, d, C and K are
// all read at run time: this path is a small GEMM, and its cost is in the
// d*C-long dot products, which no specialisation of d shortens.
#include "common.h"
#include "schedules/coefficients_cpu.h"
#include "schedules/coefficients_gpu.h"
#include "stream_read.h"

namespace gomhc {
namespace {

// RMSNorm's epsilon, as documented in gomhc.hpp.
constexpr float kRmsEpsilon = 1e-6f;

Expr sigmoid(Expr v) { return 1.0f / (1.0f + exp(-v)); }

// K = 2d + the go-mHC residual logits for the benchmark shape (d = 4, s = 2).
constexpr int kEstimateCoefficients = 2 * kEstimateStreams + 28;

template<typename Buffer>
void dense_rows(const Buffer &b) {  // [outer][d][C], dense
    b.dim(1).set_stride(b.dim(0).extent());
    b.dim(2).set_stride(b.dim(0).extent() * b.dim(1).extent());
}

Region streams_region() {
    return {{0, kEstimateFeatures}, {0, kEstimateStreams}, {0, kEstimateTokens}};
}
Region weights_region() {
    return {{0, kEstimateFeatures}, {0, kEstimateStreams}, {0, kEstimateCoefficients}};
}
Region per_token(int extent) { return {{0, extent}, {0, kEstimateTokens}}; }

class CoefficientsForward : public GomhcGenerator<CoefficientsForward> {
public:
    // Register tile of the dot products: tokens x coefficients per tile.
    GeneratorParam<int> tile_tokens{"tile_tokens",
                                    knob_defaults::cpu_coefficients_forward::tile_tokens};
    GeneratorParam<int> tile_coefficients{
        "tile_coefficients", knob_defaults::cpu_coefficients_forward::tile_coefficients};

    Input<Buffer<float>> x{"x", 3};            // (c, j, token)
    Input<Buffer<float>> w{"w", 3};            // (c, j, k)
    Input<Buffer<float>> bias{"bias", 1};      // (k)
    Input<Buffer<float>> scales{"scales", 1};  // a_pre, a_post, a_res
    Output<Buffer<float>> y{"y", 2};           // (c, token)
    Output<Buffer<float>> h_pre{"h_pre", 2};   // (j, token)
    Output<Buffer<float>> h_post{"h_post", 2};
    Output<Buffer<float>> logits{"logits", 2};    // (m, token), m < K - 2d
    Output<Buffer<float>> z{"z", 2};              // (k, token), saved for the backward
    Output<Buffer<float>> inv_rms{"inv_rms", 1};  // (token), saved for the backward

    void generate() {
        Var c("c"), j("j"), k("k"), t("t"), lane("lane");
        const int lanes = vector_width;
        Expr features = x.dim(0).extent(), d = x.dim(1).extent();
        Expr tokens = x.dim(2).extent(), count = w.dim(2).extent();
        Expr full = features / lanes;

        // Clamped reads let the register tiles run past the last token and
        // coefficient; those results are never stored. `likely` makes Halide
        // split off the edge tiles, so the others read their rows at fixed
        // offsets (without it the clamped row offsets were recomputed in the
        // innermost loop and pushed the 4 x 3 tile out of registers).
        Func x_in("x_in"), w_in("w_in");
        x_in(c, j, t) = x(c, j, clamp(likely(t), 0, tokens - 1));
        w_in(c, j, k) = w(c, j, clamp(likely(k), 0, count - 1));

        RDom full_vectors(0, full, 0, d, "full_vectors");
        RDom tail(full * lanes, features - full * lanes, 0, d, "tail");
        Expr r_c = full_vectors.x * lanes + lane;

        Func lanes_f("lanes"), lanes_tail("lanes_tail");
        lanes_f(lane, k, t) = 0.0f;
        lanes_f(lane, k, t) += x_in(r_c, full_vectors.y, t) * w_in(r_c, full_vectors.y, k);
        lanes_tail(k, t) = 0.0f;
        lanes_tail(k, t) += x_in(tail.x, tail.y, t) * w_in(tail.x, tail.y, k);

        Func square_lanes("square_lanes"), square_tail("square_tail"), inverse_rms("inverse_rms");
        square_lanes(lane, t) = 0.0f;
        square_lanes(lane, t) += x_in(r_c, full_vectors.y, t) * x_in(r_c, full_vectors.y, t);
        square_tail(t) = 0.0f;
        square_tail(t) += x_in(tail.x, tail.y, t) * x_in(tail.x, tail.y, t);
        Expr square_sum = square_tail(t);
        for (int l = 0; l < lanes; l++) {
            square_sum += square_lanes(l, t);
        }
        inverse_rms(t) = 1.0f / sqrt(square_sum / cast<float>(features * d) + kRmsEpsilon);

        // coefficient(k, t): z for k < K, and 1/rms at k = K, so one
        // compute_root stage carries everything the outputs need.
        Expr dot = lanes_tail(k, t);
        for (int l = 0; l < lanes; l++) {
            dot += lanes_f(l, k, t);
        }
        Func coefficient("coefficient");
        coefficient(k, t) = select(k < count, dot * inverse_rms(t), inverse_rms(t));

        z(k, t) = coefficient(k, t);
        inv_rms(t) = coefficient(count, t);
        Func pre_gate("pre_gate");
        pre_gate(j, t) = sigmoid(scales(0) * coefficient(j, t) + bias(j));
        h_pre(j, t) = pre_gate(j, t);
        h_post(j, t) = 2.0f * sigmoid(scales(1) * coefficient(d + j, t) + bias(d + j));
        logits(k, t) = scales(2) * coefficient(2 * d + k, t) + bias(2 * d + k);

        RDom streams(0, d, "streams");
        Func y_sum("y_sum");
        // y reads H_pre through pre_gate, not the h_pre output, so that a
        // schedule may compute y in the same loop as the coefficients.
        define_stream_read(y_sum, pre_gate, x, streams, c, t);
        y(c, t) = y_sum(c, t);

        dense_rows(x);
        dense_rows(w);
        scales.dim(0).set_bounds(0, 3);
        x.set_estimates(streams_region());
        w.set_estimates(weights_region());
        bias.set_estimates({{0, kEstimateCoefficients}});
        scales.set_estimates({{0, 3}});
        y.set_estimates(per_token(kEstimateFeatures));
        h_pre.set_estimates(per_token(kEstimateStreams));
        h_post.set_estimates(per_token(kEstimateStreams));
        logits.set_estimates(per_token(kEstimateCoefficients - 2 * kEstimateStreams));
        z.set_estimates(per_token(kEstimateCoefficients));
        inv_rms.set_estimates({{0, kEstimateTokens}});

        stages = CoefficientsForwardStages{coefficient,
                                           lanes_f,
                                           lanes_tail,
                                           square_lanes,
                                           square_tail,
                                           inverse_rms,
                                           y,
                                           y_sum,
                                           pre_gate,
                                           h_pre,
                                           h_post,
                                           logits,
                                           z,
                                           inv_rms,
                                           full_vectors,
                                           tail,
                                           streams,
                                           c,
                                           j,
                                           k,
                                           t,
                                           lane};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_coefficients_forward_gpu(stages, knobs());
        } else {
            schedule_coefficients_forward_cpu(stages, knobs(), tile_tokens, tile_coefficients);
        }
    }

private:
    CoefficientsForwardStages stages;
};

class CoefficientsBackward : public GomhcGenerator<CoefficientsBackward> {
public:
    // Register tiles: tokens per dx tile; coefficients and tokens per dw block.
    GeneratorParam<int> tile_tokens{"tile_tokens",
                                    knob_defaults::cpu_coefficients_backward::tile_tokens};
    GeneratorParam<int> tile_coefficients{
        "tile_coefficients", knob_defaults::cpu_coefficients_backward::tile_coefficients};
    GeneratorParam<int> token_block{"token_block",
                                    knob_defaults::cpu_coefficients_backward::token_block};
    // Features of one stream per dw task: the threads split dw by stream and
    // by blocks of this many features, each task walking every token.
    GeneratorParam<int> features_per_task{
        "features_per_task", knob_defaults::cpu_coefficients_backward::features_per_task};
    // Pack W's feature columns for the dx tiles (pays for wide K only; the
    // runtime builds both and picks by K).
    GeneratorParam<bool> pack_weights{"pack_weights", true};

    Input<Buffer<float>> x{"x", 3};              // (c, j, token)
    Input<Buffer<float>> w{"w", 3};              // (c, j, k)
    Input<Buffer<float>> scales{"scales", 1};    // a_pre, a_post, a_res
    Input<Buffer<float>> z_in{"z", 2};           // (k, token)
    Input<Buffer<float>> inv_rms{"inv_rms", 1};  // (token)
    Input<Buffer<float>> h_pre{"h_pre", 2};      // (j, token)
    Input<Buffer<float>> h_post{"h_post", 2};    // (j, token)
    Input<Buffer<float>> dy{"dy", 2};            // (c, token)
    Input<Buffer<float>> dh_post{"dh_post", 2};  // (j, token)
    Input<Buffer<float>> dlogits{"dlogits", 2};  // (m, token)
    Input<Buffer<float>> dx_in{"dx_in", 3};      // (c, j, token): added to
    Input<Buffer<float>> dw_in{"dw_in", 3};      // (c, j, k): added to
    Input<Buffer<float>> db_in{"db_in", 1};      // (k): added to
    Input<Buffer<float>> da_in{"da_in", 1};      // (3): added to
    Output<Buffer<float>> dx{"dx", 3};
    Output<Buffer<float>> dw{"dw", 3};
    Output<Buffer<float>> db{"db", 1};
    Output<Buffer<float>> da{"da", 1};

    void generate() {
        Var c("c"), j("j"), k("k"), t("t"), i("i");
        Expr features = x.dim(0).extent(), d = x.dim(1).extent();
        Expr tokens = x.dim(2).extent(), count = w.dim(2).extent();
        Expr length = cast<float>(features * d);

        RDom features_r(0, features, "features");
        Func dh_pre_sum("dh_pre_sum"), dh_pre("dh_pre");
        define_stream_read_weight_gradient(dh_pre_sum, x, dy, features_r, j, t);
        dh_pre(j, t) = dh_pre_sum(j, t);

        // e[k]: the gradient of the pre-activation a*z + b of coefficient k.
        Expr pre = clamp(k, 0, d - 1), post = clamp(k - d, 0, d - 1);
        Expr res = clamp(k - 2 * d, 0, max(count - 2 * d - 1, 0));
        Expr s_pre = h_pre(pre, t), h = h_post(post, t);
        Func activation_grad("activation_grad"), g("g"), du("du");
        activation_grad(k, t) = select(k < d, dh_pre(pre, t) * s_pre * (1.0f - s_pre), k < 2 * d,
                                       dh_post(post, t) * h * (1.0f - 0.5f * h), dlogits(res, t));
        Expr group_scale = select(k < d, scales(0), k < 2 * d, scales(1), scales(2));
        g(k, t) = group_scale * activation_grad(k, t);
        // Zero past the last token, so register tiles may run over the end.
        Expr t_valid = clamp(t, 0, tokens - 1);
        du(k, t) = select(t < tokens, g(k, t_valid) * inv_rms(t_valid), 0.0f);

        // The register tiles read a whole vector of features (and a whole tile
        // of tokens and coefficients) even at the edges; these clamped reads
        // keep the edge tiles in bounds, and the `likely` inside them lets
        // Halide give the other tiles plain dense loads.
        Func x_edge = BoundaryConditions::repeat_edge(x, {{0, features}, {0, d}, {0, tokens}});
        Func w_edge = BoundaryConditions::repeat_edge(w, {{0, features}, {0, d}, {0, count}});

        RDom coefficients(0, count, "coefficients");
        Func gz_sum("gz_sum"), gz("gz");
        gz_sum(t) = 0.0f;
        gz_sum(t) += g(coefficients, t) * z_in(coefficients, t);
        gz(t) = gz_sum(t) * inv_rms(t) * inv_rms(t) / length;

        Func dx_product("dx_product");
        dx_product(c, j, t) = 0.0f;
        dx_product(c, j, t) += du(coefficients, t) * w_edge(c, j, coefficients);
        dx(c, j, t) = dx_in(c, j, t) + dx_product(c, j, t) - x(c, j, t) * gz(t) +
                      stream_read_input_gradient(h_pre, dy, c, j, t);

        // The token sum in blocks of token_block: each block's partial sums
        // form a small tile that can live in registers, and the blocks are
        // then added up (du is zero past the last token).
        Var b("b");
        const int block_size = token_block;
        RDom in_block(0, block_size, "in_block");
        RDom blocks(0, (tokens + block_size - 1) / block_size, "blocks");
        Expr block_token = b * block_size + in_block;
        Func dw_block("dw_block"), dw_sum("dw_sum");
        dw_block(c, j, k, b) = 0.0f;
        dw_block(c, j, k, b) += du(k, block_token) * x_edge(c, j, block_token);
        dw_sum(c, j, k) = 0.0f;
        dw_sum(c, j, k) += dw_block(c, j, k, blocks);
        dw(c, j, k) = dw_in(c, j, k) + dw_sum(c, j, k);

        RDom tokens_r(0, tokens, "tokens");

        Func db_sum("db_sum");
        db_sum(k) = 0.0f;
        db_sum(k) += activation_grad(k, tokens_r);
        db(k) = db_in(k) + db_sum(k);

        // da[i] sums e*z over the coefficients of group i (pre, post, res).
        RDom token_coefficients(0, count, 0, tokens, "token_coefficients");
        Expr kk = token_coefficients.x, tt = token_coefficients.y;
        Expr group = select(kk < d, 0, kk < 2 * d, 1, 2);
        Func da_sum("da_sum");
        da_sum(i) = 0.0f;
        da_sum(i) += select(group == i, activation_grad(kk, tt) * z_in(kk, tt), 0.0f);
        da(i) = da_in(i) + da_sum(i);

        dense_rows(x);
        dense_rows(w);
        dense_rows(dx_in);
        dense_rows(dw_in);
        dense_rows(dx);
        dense_rows(dw);
        scales.dim(0).set_bounds(0, 3);
        da_in.dim(0).set_bounds(0, 3);
        da.dim(0).set_bounds(0, 3);
        x.set_estimates(streams_region());
        dx_in.set_estimates(streams_region());
        dx.set_estimates(streams_region());
        w.set_estimates(weights_region());
        dw_in.set_estimates(weights_region());
        dw.set_estimates(weights_region());
        scales.set_estimates({{0, 3}});
        z_in.set_estimates(per_token(kEstimateCoefficients));
        inv_rms.set_estimates({{0, kEstimateTokens}});
        h_pre.set_estimates(per_token(kEstimateStreams));
        h_post.set_estimates(per_token(kEstimateStreams));
        dy.set_estimates(per_token(kEstimateFeatures));
        dh_post.set_estimates(per_token(kEstimateStreams));
        dlogits.set_estimates(per_token(kEstimateCoefficients - 2 * kEstimateStreams));
        db_in.set_estimates({{0, kEstimateCoefficients}});
        db.set_estimates({{0, kEstimateCoefficients}});
        da_in.set_estimates({{0, 3}});
        da.set_estimates({{0, 3}});

        stages = CoefficientsBackwardStages{dh_pre,
                                            dh_pre_sum,
                                            activation_grad,
                                            g,
                                            du,
                                            gz,
                                            gz_sum,
                                            x_edge,
                                            w_edge,
                                            dx,
                                            dx_product,
                                            dw,
                                            dw_sum,
                                            dw_block,
                                            db,
                                            db_sum,
                                            da,
                                            da_sum,
                                            features_r,
                                            coefficients,
                                            in_block,
                                            blocks,
                                            tokens_r,
                                            token_coefficients,
                                            c,
                                            j,
                                            k,
                                            t,
                                            i,
                                            b};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_coefficients_backward_gpu(stages, knobs());
        } else {
            schedule_coefficients_backward_cpu(stages, knobs(), tile_tokens, tile_coefficients,
                                               token_block, features_per_task, pack_weights);
        }
    }

private:
    CoefficientsBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::CoefficientsForward, coefficients_forward)
HALIDE_REGISTER_GENERATOR(gomhc::CoefficientsBackward, coefficients_backward)
