// The GPT's forward and backward passes over gomhc's kernels and the BLAS
// (docs/trainer.md, "The model").
#include "gpt.h"

#include <algorithm>
#include <cmath>
#include <gomhc/seeded_normal.hpp>

#include "linear.h"
#include "matmul.h"

namespace gomhc::trainer {

namespace {

constexpr double kInitStd = 0.02;

int64_t element_count(const std::vector<int64_t> &shape) {
    int64_t count = 1;
    for (int64_t e : shape) {
        count *= e;
    }
    return count;
}

// A linear layer's weight [out][in] in the flat parameter block.
struct LinearWeight {
    int64_t offset, out, in;
};

// Where one block's tensors are in the flat parameter block.
struct BlockOffsets {
    int64_t ln1_g, ln1_b;
    LinearWeight qkv, proj;
    int64_t ln2_g, ln2_b;
    LinearWeight fc, fc_proj;
    int64_t hc_attn, hc_mlp;
};

// What one block keeps from forward for backward, for up to N tokens.
struct BlockActivations {
    DeviceMemory x_mid;  // [N][d][C] the streams between attention and MLP
    DeviceMemory y_attn, ln1, ln1_mean, ln1_rstd, qkv, probs, attn_y, f_attn;
    DeviceMemory y_mlp, ln2, ln2_mean, ln2_rstd, fc, fc_gelu, f_mlp;
};

// The seeded initialisation of every tensor but the hyper-connections' (the
// layers draw their own), by kind, in layout order from one seeded normal
// (the runtime's, the same with any standard library).
std::vector<float> initial_params(const GptConfig &config, const std::vector<ParamTensor> &layout,
                                  int64_t num_params) {
    std::vector<float> init(size_t(num_params), 0.0f);
    SeededNormal normal(config.seed);
    const double proj_std = kInitStd / std::sqrt(2.0 * double(config.layers));
    for (const ParamTensor &t : layout) {
        float *p = init.data() + t.offset;
        const auto draw = [&](int64_t count, double sigma) {
            for (int64_t i = 0; i < count; i++) {
                p[i] = float(sigma * normal.next());
            }
        };
        switch (t.kind) {
            case ParamKind::token_embedding:  // the padding rows stay 0
                draw(config.vocab * config.width, kInitStd);
                break;
            case ParamKind::position_embedding:
            case ParamKind::stream_embedding:
            case ParamKind::linear_weight:
                draw(element_count(t.shape), kInitStd);
                break;
            case ParamKind::output_projection:
                draw(element_count(t.shape), proj_std);
                break;
            case ParamKind::layernorm_gain:
                std::fill(p, p + element_count(t.shape), 1.0f);
                break;
            case ParamKind::layernorm_bias:
            case ParamKind::hyper_connection:
                break;
        }
    }
    return init;
}

// The address of a host or CUDA view; OpenCL memory has none.
float *host_address(const TensorView &v, const char *what) {
    if (v.device() == Device::opencl) {
        throw InvalidArgument(std::string("gpt ") + what +
                              "(): OpenCL memory has no address; use " + what + "_view()");
    }
    return const_cast<float *>(v.data());
}

// A matrix `offset` floats into a buffer, as the BLAS products take it.
MatrixArg plain(const DeviceMemory &m, int64_t offset, int64_t ld) {
    return matrix(m.view({int64_t(m.size())}), offset, ld);
}
MatrixArg transposed(const DeviceMemory &m, int64_t offset, int64_t ld) {
    return matrix(m.view({int64_t(m.size())}), offset, ld, true);
}

}  // namespace

struct Gpt::State {
    GptConfig config;
    Device device = Device::host;
    int64_t max_batch = 0;
    std::vector<ParamTensor> layout;
    int64_t num_params = 0;
    LinearWeight wte{};  // the token embedding, and the head tied to it
    int64_t wpe = 0, lnf_g = 0, lnf_b = 0;
    int64_t wse = -1;  // the stream embedding [d][C], -1 without one
    std::vector<BlockOffsets> blocks;
    std::vector<HyperConnection> hc_attn, hc_mlp;
    DeviceMemory params, grads;

    // Activations.
    std::vector<DeviceMemory> streams;  // [L+1] x [N][d][C]
    std::vector<BlockActivations> acts;
    // The head's input: x_final, the final LayerNorm's output ([N][C] after
    // the streams' sum, or [N][d][C] before it), and combined, the sum.
    DeviceMemory tokens, targets, scores, x_final, lnf_mean, lnf_rstd, combined, logits, loss, lse;
    // Backward scratch. dx: the gradient of the streams at a block boundary,
    // from the last block down to the embedding; dx_mid: within a block,
    // between its attention and its MLP.
    DeviceMemory dx, dx_mid, dy, dln, dqkv, dattn, dprobs, dscores, dfc, dgelu, df, dz, dx_final,
        dgamma, dbeta;
    int64_t batch = 0, t = 0;  // of the last forward
    bool have_targets = false;

    int64_t add_tensor(const std::string &name, std::vector<int64_t> shape, ParamKind kind,
                       bool decayed) {
        const int64_t count = element_count(shape);
        layout.push_back({name, num_params, std::move(shape), kind, decayed});
        num_params += count;
        return layout.back().offset;
    }
    // Weight decay applies to the matrices, not to LayerNorm's gains and biases.
    int64_t add_layernorm_tensor(const std::string &name, ParamKind kind) {
        return add_tensor(name, {config.width}, kind, false);
    }
    LinearWeight add_linear(const std::string &name, int64_t out, int64_t in, ParamKind kind) {
        return {add_tensor(name, {out, in}, kind, true), out, in};
    }
    // The hyper-connection of sub-layer `index` (2 l: block l's attention,
    // 2 l + 1: its MLP), seeded seed * 1000 + index, its gates favouring
    // stream index mod d unless the start is symmetric. Its parameters go where
    // its slice of the block is (bound after the upload); weight decay applies
    // to its W. Returns the slice's offset.
    int64_t add_hyper_connection(const std::string &name, int64_t index,
                                 std::vector<HyperConnection> &into) {
        HyperConnection hc(config.method, config.d, config.s, config.width,
                           config.seed * 1000 + uint64_t(index), device,
                           LayerStart{index, config.symmetric_start});
        const int64_t offset = num_params;
        for (const auto &slice : hc.param_layout()) {
            add_tensor(name + "." + slice.name, slice.shape, ParamKind::hyper_connection,
                       slice.name == "W");
        }
        into.push_back(std::move(hc));
        return offset;
    }
    TensorView pview(int64_t offset, std::vector<int64_t> shape) {
        return params.view(std::move(shape), size_t(offset));
    }
    TensorView gview(int64_t offset, std::vector<int64_t> shape) {
        return grads.view(std::move(shape), size_t(offset));
    }
    TensorView weight(const LinearWeight &w) { return pview(w.offset, {w.out, w.in}); }
    // The streams are normalised each, then combined (else combined, then
    // normalised once; with one stream, just normalised).
    bool norm_each_stream() const {
        return config.d > 1 && config.output != StreamOutput::sum_then_norm;
    }
    float stream_scale() const {
        return config.output == StreamOutput::mean ? 1.0f / float(config.d) : 1.0f;
    }
    // What the head reads for the last forward's N tokens: the final norm's
    // output, or with the norm before the combination, the combination.
    TensorView head_input(int64_t n) {
        return norm_each_stream() ? combined.view({n, config.width})
                                  : x_final.view({n, config.width});
    }
    TensorView weight_grad(const LinearWeight &w) { return gview(w.offset, {w.out, w.in}); }

    void attention_forward(BlockActivations &a);
    void attention_backward(BlockActivations &a);
    // LayerNorm's backward overwrites dgamma and dbeta; the model's gradients add.
    void layernorm_backward_adding(const TensorView &dy_v, const TensorView &x, int64_t g_offset,
                                   int64_t b_offset, DeviceMemory &mean, DeviceMemory &rstd,
                                   const TensorView &dx_v, int64_t rows);
};

Gpt::Gpt(const GptConfig &config, int64_t max_batch, Device device)
    : state_(std::make_unique<State>()) {
    check_config(config);
    if (max_batch < 1) {
        throw InvalidArgument("gpt: batch = " + std::to_string(max_batch) + ", expected >= 1");
    }
    State &st = *state_;
    st.config = config;
    st.device = device;
    st.max_batch = max_batch;
    const int64_t C = config.width, L = config.layers, Vp = config.padded_vocab;
    const int d = config.d;

    // The parameter layout, in the order of the files and of the draws.
    st.wte = st.add_linear("wte", Vp, C, ParamKind::token_embedding);
    st.wpe = st.add_tensor("wpe", {config.context, C}, ParamKind::position_embedding, true);
    if (d > 1 && !config.symmetric_start) {
        // A learned row per stream, so the streams differ from the first
        // block on (docs/math.md section 3.1); the symmetric start has none.
        st.wse = st.add_tensor("wse", {d, C}, ParamKind::stream_embedding, true);
    }
    for (int64_t l = 0; l < L; l++) {
        const std::string p = "h." + std::to_string(l) + ".";
        BlockOffsets b{};
        b.ln1_g = st.add_layernorm_tensor(p + "ln_1.weight", ParamKind::layernorm_gain);
        b.ln1_b = st.add_layernorm_tensor(p + "ln_1.bias", ParamKind::layernorm_bias);
        b.qkv = st.add_linear(p + "attn.c_attn.weight", 3 * C, C, ParamKind::linear_weight);
        b.proj = st.add_linear(p + "attn.c_proj.weight", C, C, ParamKind::output_projection);
        b.ln2_g = st.add_layernorm_tensor(p + "ln_2.weight", ParamKind::layernorm_gain);
        b.ln2_b = st.add_layernorm_tensor(p + "ln_2.bias", ParamKind::layernorm_bias);
        b.fc = st.add_linear(p + "mlp.c_fc.weight", 4 * C, C, ParamKind::linear_weight);
        b.fc_proj = st.add_linear(p + "mlp.c_proj.weight", C, 4 * C, ParamKind::output_projection);
        b.hc_attn = st.add_hyper_connection(p + "hc_attn", 2 * l, st.hc_attn);
        b.hc_mlp = st.add_hyper_connection(p + "hc_mlp", 2 * l + 1, st.hc_mlp);
        st.blocks.push_back(b);
    }
    st.lnf_g = st.add_layernorm_tensor("ln_f.weight", ParamKind::layernorm_gain);
    st.lnf_b = st.add_layernorm_tensor("ln_f.bias", ParamKind::layernorm_bias);

    // Seeded initialisation on the host, then one upload.
    const std::vector<float> init = initial_params(config, st.layout, st.num_params);
    st.params = DeviceMemory(device, size_t(st.num_params));
    st.grads = DeviceMemory(device, size_t(st.num_params));
    st.params.upload(init.data(), init.size());
    for (int64_t l = 0; l < L; l++) {
        const BlockOffsets &b = st.blocks[size_t(l)];
        // bind() copies each layer's own seeded initialisation into the block.
        for (auto [layers, offset] : {std::pair{&st.hc_attn, b.hc_attn}, {&st.hc_mlp, b.hc_mlp}}) {
            HyperConnection &hc = (*layers)[size_t(l)];
            const int64_t count = hc.num_params();
            hc.bind(st.params.view({count}, offset), st.grads.view({count}, offset));
        }
    }
    zero_grads();

    // Activations for N = max_batch * context tokens.
    const size_t N = size_t(max_batch * config.context), H = size_t(config.heads);
    const size_t T = size_t(config.context), streams = N * size_t(d) * size_t(C);
    const size_t attn = size_t(max_batch) * H * T * T;
    const auto buffer = [&](size_t count) { return DeviceMemory(device, count); };
    for (int64_t l = 0; l <= L; l++) {
        st.streams.push_back(buffer(streams));
    }
    for (int64_t l = 0; l < L; l++) {
        BlockActivations a;
        a.x_mid = buffer(streams);
        for (DeviceMemory *row :
             {&a.y_attn, &a.ln1, &a.attn_y, &a.f_attn, &a.y_mlp, &a.ln2, &a.f_mlp}) {
            *row = buffer(N * size_t(C));
        }
        for (DeviceMemory *stat : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) {
            *stat = buffer(N);
        }
        a.qkv = buffer(N * 3 * size_t(C));
        a.probs = buffer(attn);
        a.fc = buffer(N * 4 * size_t(C));
        a.fc_gelu = buffer(N * 4 * size_t(C));
        st.acts.push_back(std::move(a));
    }
    st.tokens = buffer(N);
    st.targets = buffer(N);
    st.scores = buffer(attn);
    st.x_final = buffer(streams);
    st.lnf_mean = buffer(N * size_t(d));
    st.lnf_rstd = buffer(N * size_t(d));
    st.combined = buffer(N * size_t(C));
    st.logits = buffer(N * size_t(Vp));
    st.loss = buffer(N);
    st.lse = buffer(N);
    st.dx = buffer(streams);
    st.dx_mid = buffer(streams);
    for (DeviceMemory *row : {&st.dy, &st.dln, &st.dattn, &st.df, &st.dz}) {
        *row = buffer(N * size_t(C));
    }
    st.dqkv = buffer(N * 3 * size_t(C));
    st.dprobs = buffer(attn);
    st.dscores = buffer(attn);
    st.dfc = buffer(N * 4 * size_t(C));
    st.dgelu = buffer(N * 4 * size_t(C));
    st.dx_final = buffer(streams);
    st.dgamma = buffer(size_t(C));
    st.dbeta = buffer(size_t(C));
}

Gpt::~Gpt() = default;
Gpt::Gpt(Gpt &&) noexcept = default;
Gpt &Gpt::operator=(Gpt &&) noexcept = default;

const GptConfig &Gpt::config() const { return state_->config; }
Device Gpt::device() const { return state_->device; }
const std::vector<ParamTensor> &Gpt::layout() const { return state_->layout; }
std::vector<std::pair<int64_t, int64_t>> Gpt::decayed_ranges() const {
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (const ParamTensor &t : state_->layout) {
        if (t.decayed) {
            ranges.emplace_back(t.offset, element_count(t.shape));
        }
    }
    return ranges;
}
int64_t Gpt::num_params() const { return state_->num_params; }
TensorView Gpt::params_view() { return state_->params.view({state_->num_params}); }
TensorView Gpt::grads_view() { return state_->grads.view({state_->num_params}); }
float *Gpt::params() { return host_address(params_view(), "params"); }
float *Gpt::grads() { return host_address(grads_view(), "grads"); }
void Gpt::zero_grads() { fill(grads_view(), 0.0f); }

void Gpt::State::attention_forward(BlockActivations &a) {
    const int64_t C = config.width, H = config.heads, hs = C / H, C3 = 3 * C;
    const float scale = float(1.0 / std::sqrt(double(hs)));
    for (int64_t b = 0; b < batch; b++) {
        const int64_t q = b * t * C3, k = q + C, scores_b = b * H * t * t;
        // S = Q K^T per head.
        matmul_batched(device, H, t, t, hs, 1.0f, plain(a.qkv, q, C3), hs, transposed(a.qkv, k, C3),
                       hs, 0.0f, plain(scores, scores_b, t), t * t);
    }
    causal_softmax_forward(scale, scores.view({batch * H, t, t}), a.probs.view({batch * H, t, t}));
    for (int64_t b = 0; b < batch; b++) {
        const int64_t v = b * t * C3 + 2 * C, probs_b = b * H * t * t;
        // Y = P V per head, into the head's columns of attn_y.
        matmul_batched(device, H, t, hs, t, 1.0f, plain(a.probs, probs_b, t), t * t,
                       plain(a.qkv, v, C3), hs, 0.0f, plain(a.attn_y, b * t * C, C), hs);
    }
}

void Gpt::State::attention_backward(BlockActivations &a) {
    const int64_t C = config.width, H = config.heads, hs = C / H, C3 = 3 * C;
    const float scale = float(1.0 / std::sqrt(double(hs)));
    for (int64_t b = 0; b < batch; b++) {
        const int64_t v = b * t * C3 + 2 * C, dy_b = b * t * C, p_b = b * H * t * t;
        // dP = dY V^T; dV = P^T dY.
        matmul_batched(device, H, t, t, hs, 1.0f, plain(dattn, dy_b, C), hs,
                       transposed(a.qkv, v, C3), hs, 0.0f, plain(dprobs, p_b, t), t * t);
        matmul_batched(device, H, t, hs, t, 1.0f, transposed(a.probs, p_b, t), t * t,
                       plain(dattn, dy_b, C), hs, 0.0f, plain(dqkv, v, C3), hs);
    }
    causal_softmax_backward(scale, a.probs.view({batch * H, t, t}), dprobs.view({batch * H, t, t}),
                            dscores.view({batch * H, t, t}));
    for (int64_t b = 0; b < batch; b++) {
        const int64_t q = b * t * C3, k = q + C, ds_b = b * H * t * t;
        // dQ = dS K; dK = dS^T Q.
        matmul_batched(device, H, t, hs, t, 1.0f, plain(dscores, ds_b, t), t * t,
                       plain(a.qkv, k, C3), hs, 0.0f, plain(dqkv, q, C3), hs);
        matmul_batched(device, H, t, hs, t, 1.0f, transposed(dscores, ds_b, t), t * t,
                       plain(a.qkv, q, C3), hs, 0.0f, plain(dqkv, k, C3), hs);
    }
}

void Gpt::State::layernorm_backward_adding(const TensorView &dy_v, const TensorView &x,
                                           int64_t g_offset, int64_t b_offset, DeviceMemory &mean,
                                           DeviceMemory &rstd, const TensorView &dx_v,
                                           int64_t rows) {
    const int64_t C = config.width;
    layernorm_backward(dy_v, x, pview(g_offset, {C}), mean.view({rows}), rstd.view({rows}), dx_v,
                       dgamma.view({C}), dbeta.view({C}));
    add(gview(g_offset, {C}), dgamma.view({C}), gview(g_offset, {C}));
    add(gview(b_offset, {C}), dbeta.view({C}), gview(b_offset, {C}));
}

float Gpt::forward(const int32_t *tokens_in, const int32_t *targets_in, int64_t batch_size,
                   int64_t t_size) {
    State &st = *state_;
    const GptConfig &cfg = st.config;
    if (batch_size < 1 || batch_size > st.max_batch || t_size < 1 || t_size > cfg.context) {
        throw InvalidArgument(
            "gpt forward: batch " + std::to_string(batch_size) + " x " + std::to_string(t_size) +
            " tokens, expected 1 to " + std::to_string(st.max_batch) +
            " sequences of 1 to --ctx = " + std::to_string(cfg.context) + " tokens");
    }
    st.batch = batch_size;
    st.t = t_size;
    const int64_t N = batch_size * t_size, C = cfg.width, d = cfg.d, Vp = cfg.padded_vocab;
    for (int64_t i = 0; i < N; i++) {
        for (const int32_t *ids : {tokens_in, targets_in}) {
            if (ids && (ids[i] < 0 || ids[i] >= cfg.vocab)) {
                throw InvalidArgument("gpt forward: token id " + std::to_string(ids[i]) +
                                      " at position " + std::to_string(i) +
                                      " is outside the vocabulary of " + std::to_string(cfg.vocab));
            }
        }
    }
    st.tokens.upload_ids(tokens_in, size_t(N));
    st.have_targets = targets_in != nullptr;
    if (targets_in) {
        st.targets.upload_ids(targets_in, size_t(N));
    }

    embedding_forward(st.tokens.ids({batch_size, t_size}), st.weight(st.wte),
                      st.pview(st.wpe, {cfg.context, C}),
                      st.streams[0].view({batch_size, t_size, d, C}));
    if (st.wse >= 0) {
        const TensorView x0 = st.streams[0].view({N, d, C});
        stream_embed_forward(x0, st.pview(st.wse, {d, C}), x0);
    }
    for (int64_t l = 0; l < cfg.layers; l++) {
        BlockActivations &a = st.acts[size_t(l)];
        const BlockOffsets &o = st.blocks[size_t(l)];
        const TensorView x_in = st.streams[size_t(l)].view({N, d, C});
        const TensorView x_mid = a.x_mid.view({N, d, C});
        const TensorView x_out = st.streams[size_t(l + 1)].view({N, d, C});
        // Attention sub-layer.
        st.hc_attn[size_t(l)].pre(x_in, a.y_attn.view({N, C}));
        layernorm_forward(a.y_attn.view({N, C}), st.pview(o.ln1_g, {C}), st.pview(o.ln1_b, {C}),
                          a.ln1.view({N, C}), a.ln1_mean.view({N}), a.ln1_rstd.view({N}));
        linear_forward(a.ln1.view({N, C}), st.weight(o.qkv), a.qkv.view({N, 3 * C}));
        st.attention_forward(a);
        linear_forward(a.attn_y.view({N, C}), st.weight(o.proj), a.f_attn.view({N, C}));
        st.hc_attn[size_t(l)].post(x_in, a.f_attn.view({N, C}), x_mid);
        // MLP sub-layer.
        st.hc_mlp[size_t(l)].pre(x_mid, a.y_mlp.view({N, C}));
        layernorm_forward(a.y_mlp.view({N, C}), st.pview(o.ln2_g, {C}), st.pview(o.ln2_b, {C}),
                          a.ln2.view({N, C}), a.ln2_mean.view({N}), a.ln2_rstd.view({N}));
        linear_forward(a.ln2.view({N, C}), st.weight(o.fc), a.fc.view({N, 4 * C}));
        gelu_forward(a.fc.view({N, 4 * C}), a.fc_gelu.view({N, 4 * C}));
        linear_forward(a.fc_gelu.view({N, 4 * C}), st.weight(o.fc_proj), a.f_mlp.view({N, C}));
        st.hc_mlp[size_t(l)].post(x_mid, a.f_mlp.view({N, C}), x_out);
    }
    // The streams become one row per token (docs/trainer.md, "Combining the
    // streams"): each normalised, then averaged or summed; or summed, then
    // normalised once; one stream is just normalised.
    const TensorView last = st.streams[size_t(cfg.layers)].view({N, d, C});
    if (st.norm_each_stream()) {
        layernorm_forward(last.reshaped({N * d, C}), st.pview(st.lnf_g, {C}),
                          st.pview(st.lnf_b, {C}), st.x_final.view({N * d, C}),
                          st.lnf_mean.view({N * d}), st.lnf_rstd.view({N * d}));
        stream_sum_forward(st.x_final.view({N, d, C}), st.combined.view({N, C}), st.stream_scale());
    } else {
        if (d > 1) {
            stream_sum_forward(last, st.combined.view({N, C}));
        }
        layernorm_forward(d > 1 ? st.combined.view({N, C}) : last.reshaped({N, C}),
                          st.pview(st.lnf_g, {C}), st.pview(st.lnf_b, {C}), st.x_final.view({N, C}),
                          st.lnf_mean.view({N}), st.lnf_rstd.view({N}));
    }
    const TensorView head_in = st.head_input(N);
    // The head, tied to the token embedding: logits = combined wte^T.
    linear_forward(head_in, st.weight(st.wte), st.logits.view({N, Vp}));
    if (!targets_in) {
        return 0.0f;
    }
    cross_entropy_forward(cfg.vocab, st.logits.view({N, Vp}), st.targets.ids({N}),
                          st.loss.view({N}), st.lse.view({N}));
    std::vector<float> losses(static_cast<size_t>(N));
    st.loss.download(losses.data(), losses.size());
    double total = 0.0;
    for (float x : losses) {
        total += x;
    }
    return float(total / double(N));
}

StreamDiagnostics Gpt::stream_diagnostics(int64_t max_tokens) {
    State &st = *state_;
    if (st.batch == 0) {
        throw InvalidArgument("gpt stream_diagnostics: no forward has run yet");
    }
    const GptConfig &cfg = st.config;
    const int d = cfg.d;
    const int64_t N = st.batch * st.t, C = cfg.width,
                  n = std::min(N, std::max<int64_t>(max_tokens, 1));
    StreamDiagnostics out;
    out.d = d;
    std::vector<float> x(size_t(n * d * C));
    for (const DeviceMemory &streams : st.streams) {
        streams.download(x.data(), x.size());  // the first n tokens
        out.cosine_after_block.push_back(mean_pairwise_cosine(x.data(), n, d, C));
        out.deviation_after_block.push_back(relative_stream_deviation(x.data(), n, d, C));
    }
    if (cfg.method == Method::residual) {
        return out;  // no coefficients
    }
    for (int64_t l = 0; l < cfg.layers; l++) {
        for (auto [name, layers] : {std::pair{"hc_attn", &st.hc_attn}, {"hc_mlp", &st.hc_mlp}}) {
            HyperConnection &hc = (*layers)[size_t(l)];
            std::vector<float> pre(size_t(N * d)), post(size_t(N * d)), res(size_t(N * d * d));
            download(hc.h_pre(), pre.data());
            download(hc.h_post(), post.data());
            download(hc.h_res(), res.data());
            out.layers.push_back({"h." + std::to_string(l) + "." + name,
                                  identity_distance(res.data(), n, d),
                                  stream_spread(pre.data(), n, d), stream_spread(post.data(), n, d),
                                  mean_matrix(res.data(), n, d)});
        }
    }
    return out;
}

void Gpt::backward(float loss_scale) {
    State &st = *state_;
    if (!st.have_targets) {
        throw InvalidArgument("gpt backward: the last forward had no targets");
    }
    const GptConfig &cfg = st.config;
    const int64_t B = st.batch, T = st.t, N = B * T, C = cfg.width, d = cfg.d,
                  Vp = cfg.padded_vocab;

    // The loss's gradient overwrites the logits.
    cross_entropy_backward(cfg.vocab, loss_scale / float(N), st.logits.view({N, Vp}),
                           st.targets.ids({N}), st.lse.view({N}), st.logits.view({N, Vp}));
    // The head's backward, then the reduction's, into dx [N][d][C].
    const TensorView dhead = st.dz.view({N, C});
    linear_backward(st.logits.view({N, Vp}), st.head_input(N), st.weight(st.wte), dhead,
                    st.weight_grad(st.wte));
    const TensorView last = st.streams[size_t(cfg.layers)].view({N, d, C});
    if (st.norm_each_stream()) {
        stream_sum_backward(dhead, st.dx_final.view({N, d, C}), st.stream_scale());
        st.layernorm_backward_adding(st.dx_final.view({N * d, C}), last.reshaped({N * d, C}),
                                     st.lnf_g, st.lnf_b, st.lnf_mean, st.lnf_rstd,
                                     st.dx.view({N * d, C}), N * d);
    } else {
        // dz -> the sum's gradient (dx_final as [N][C]) -> every stream.
        const TensorView dsum = d > 1 ? st.dx_final.view({N, C}) : st.dx.view({N, C});
        st.layernorm_backward_adding(dhead,
                                     d > 1 ? st.combined.view({N, C}) : last.reshaped({N, C}),
                                     st.lnf_g, st.lnf_b, st.lnf_mean, st.lnf_rstd, dsum, N);
        if (d > 1) {
            stream_sum_backward(dsum, st.dx.view({N, d, C}));
        }
    }
    const TensorView dx = st.dx.view({N, d, C}), dx_mid = st.dx_mid.view({N, d, C});
    for (int64_t l = cfg.layers - 1; l >= 0; l--) {
        BlockActivations &a = st.acts[size_t(l)];
        const BlockOffsets &o = st.blocks[size_t(l)];
        // MLP sub-layer: from the block's output (dx) to its middle (dx_mid).
        st.hc_mlp[size_t(l)].post_backward(dx, dx_mid, st.df.view({N, C}));
        linear_backward(st.df.view({N, C}), a.fc_gelu.view({N, 4 * C}), st.weight(o.fc_proj),
                        st.dgelu.view({N, 4 * C}), st.weight_grad(o.fc_proj));
        gelu_backward(a.fc.view({N, 4 * C}), st.dgelu.view({N, 4 * C}), st.dfc.view({N, 4 * C}));
        linear_backward(st.dfc.view({N, 4 * C}), a.ln2.view({N, C}), st.weight(o.fc),
                        st.dln.view({N, C}), st.weight_grad(o.fc));
        st.layernorm_backward_adding(st.dln.view({N, C}), a.y_mlp.view({N, C}), o.ln2_g, o.ln2_b,
                                     a.ln2_mean, a.ln2_rstd, st.dy.view({N, C}), N);
        st.hc_mlp[size_t(l)].pre_backward(st.dy.view({N, C}), dx_mid);
        // Attention sub-layer: from the middle to the block's input (dx again).
        st.hc_attn[size_t(l)].post_backward(dx_mid, dx, st.df.view({N, C}));
        linear_backward(st.df.view({N, C}), a.attn_y.view({N, C}), st.weight(o.proj),
                        st.dattn.view({N, C}), st.weight_grad(o.proj));
        st.attention_backward(a);
        linear_backward(st.dqkv.view({N, 3 * C}), a.ln1.view({N, C}), st.weight(o.qkv),
                        st.dln.view({N, C}), st.weight_grad(o.qkv));
        st.layernorm_backward_adding(st.dln.view({N, C}), a.y_attn.view({N, C}), o.ln1_g, o.ln1_b,
                                     a.ln1_mean, a.ln1_rstd, st.dy.view({N, C}), N);
        st.hc_attn[size_t(l)].pre_backward(st.dy.view({N, C}), dx);
    }
    if (st.wse >= 0) {
        stream_embed_backward(st.dx.view({N, d, C}), st.gview(st.wse, {d, C}));
    }
    embedding_backward(st.tokens.ids({B, T}), st.dx.view({B, T, d, C}), st.weight_grad(st.wte),
                       st.gview(st.wpe, {cfg.context, C}));
    st.have_targets = false;
}

std::vector<float> Gpt::logits_at(int64_t sequence, int64_t position) {
    State &st = *state_;
    if (sequence < 0 || sequence >= st.batch || position < 0 || position >= st.t) {
        throw InvalidArgument("gpt logits_at: (" + std::to_string(sequence) + ", " +
                              std::to_string(position) + ") is outside the last forward's " +
                              std::to_string(st.batch) + " x " + std::to_string(st.t));
    }
    const int64_t Vp = st.config.padded_vocab;
    std::vector<float> row(size_t(st.config.vocab));
    st.logits.download(row.data(), row.size(), size_t((sequence * st.t + position) * Vp));
    return row;
}

}  // namespace gomhc::trainer
