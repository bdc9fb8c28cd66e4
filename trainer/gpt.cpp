// The GPT's forward and backward passes over gomhc's kernels and the BLAS
// (docs/trainer.md, "The model").
#include "gpt.h"

#include <cmath>
#include <random>

#include "device_buffer.h"
#include "matmul.h"

namespace gomhc::trainer {

namespace {

constexpr double kInitStd = 0.02;

// Offsets of one block's tensors in the flat parameter array.
struct BlockOffsets {
    int64_t ln1_g, ln1_b, qkv_w, proj_w, ln2_g, ln2_b, fc_w, fc_proj_w, hc_attn, hc_mlp;
};

// What one block keeps from forward for backward, for up to N tokens.
struct BlockActivations {
    DeviceBuffer x_mid;  // [N][d][C] the streams between attention and MLP
    DeviceBuffer y_attn, ln1, ln1_mean, ln1_rstd, qkv, probs, attn_y, f_attn;
    DeviceBuffer y_mlp, ln2, ln2_mean, ln2_rstd, fc, fc_gelu, f_mlp;
};

// N(0, sigma^2) by Box-Muller over raw mt19937_64 draws, the same on any
// standard library.
class Normal {
public:
    explicit Normal(uint64_t seed) : engine_(seed) {}
    double operator()(double sigma) {
        const double u1 = (double(engine_() >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = double(engine_() >> 11) * 0x1.0p-53;
        return sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }

private:
    std::mt19937_64 engine_;
};

MatrixArg plain(const float *data, int64_t ld) { return {data, ld, false}; }
MatrixArg transposed(const float *data, int64_t ld) { return {data, ld, true}; }

}  // namespace

int64_t padded_vocab_for(int64_t vocab) { return (vocab + 127) / 128 * 128; }

void check_config(const GptConfig &c) {
    const auto fail = [](const std::string &what) { throw InvalidArgument("gpt config: " + what); };
    if (c.vocab < 2 || c.vocab > 65536) {
        fail("vocab = " + std::to_string(c.vocab) + ", expected 2 to 65536");
    }
    if (c.padded_vocab < c.vocab) {
        fail("padded_vocab = " + std::to_string(c.padded_vocab) +
             " is below vocab = " + std::to_string(c.vocab));
    }
    if (c.layers < 1) {
        fail("--layers = " + std::to_string(c.layers) + ", expected >= 1");
    }
    if (c.heads < 1 || c.width < 1 || c.width % c.heads != 0) {
        fail("--width = " + std::to_string(c.width) +
             " is not a positive multiple of --heads = " + std::to_string(c.heads));
    }
    if (c.context < 1) {
        fail("--ctx = " + std::to_string(c.context) + ", expected >= 1");
    }
    check_method_shape(c.method, c.d, c.s);
}

struct Gpt::State {
    GptConfig config;
    Device device = Device::host;
    int64_t max_batch = 0;
    std::vector<ParamTensor> layout;
    int64_t num_params = 0;
    int64_t wte = 0, wpe = 0, lnf_g = 0, lnf_b = 0;
    std::vector<BlockOffsets> blocks;
    std::vector<HyperConnection> hc_attn, hc_mlp;
    DeviceBuffer params, grads;

    // Activations.
    std::vector<DeviceBuffer> streams;  // [L+1] x [N][d][C]
    std::vector<BlockActivations> acts;
    DeviceBuffer tokens, targets, scores, x_final, lnf_mean, lnf_rstd, combined, ones, logits, loss,
        lse;
    // Backward scratch.
    DeviceBuffer dx[2], dy, dln, dqkv, dattn, dprobs, dscores, dfc, dgelu, df, dz, dx_final, dh_pre,
        dgamma, dbeta;
    int64_t batch = 0, t = 0;  // of the last forward
    bool have_targets = false;

    int64_t add_tensor(const std::string &name, std::vector<int64_t> shape, bool decayed) {
        int64_t size = 1;
        for (int64_t e : shape) {
            size *= e;
        }
        layout.push_back({name, num_params, std::move(shape), decayed});
        num_params += size;
        return layout.back().offset;
    }
    float *param(int64_t offset) { return params.data() + offset; }
    float *grad(int64_t offset) { return grads.data() + offset; }
    TensorView pview(int64_t offset, std::vector<int64_t> shape) {
        return params.view(std::move(shape), size_t(offset));
    }
    TensorView gview(int64_t offset, std::vector<int64_t> shape) {
        return grads.view(std::move(shape), size_t(offset));
    }

    void attention_forward(BlockActivations &a);
    void attention_backward(BlockActivations &a);
    // LayerNorm's backward overwrites dgamma and dbeta; the model's gradients add.
    void layernorm_backward_adding(const TensorView &dy_v, const TensorView &x, int64_t g_offset,
                                   int64_t b_offset, DeviceBuffer &mean, DeviceBuffer &rstd,
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
    const int d = config.d, s = config.s;

    // The parameter layout; the hyper-connections' own parameters go where
    // their slice is (bound below).
    st.wte = st.add_tensor("wte", {Vp, C}, true);
    st.wpe = st.add_tensor("wpe", {config.context, C}, true);
    std::vector<std::pair<int64_t, int64_t>> hc_slices;
    for (int64_t l = 0; l < L; l++) {
        const std::string p = "h." + std::to_string(l) + ".";
        BlockOffsets b{};
        b.ln1_g = st.add_tensor(p + "ln_1.weight", {C}, false);
        b.ln1_b = st.add_tensor(p + "ln_1.bias", {C}, false);
        b.qkv_w = st.add_tensor(p + "attn.c_attn.weight", {3 * C, C}, true);
        b.proj_w = st.add_tensor(p + "attn.c_proj.weight", {C, C}, true);
        b.ln2_g = st.add_tensor(p + "ln_2.weight", {C}, false);
        b.ln2_b = st.add_tensor(p + "ln_2.bias", {C}, false);
        b.fc_w = st.add_tensor(p + "mlp.c_fc.weight", {4 * C, C}, true);
        b.fc_proj_w = st.add_tensor(p + "mlp.c_proj.weight", {C, 4 * C}, true);
        struct SubLayer {
            const char *name;
            int64_t *offset;
            std::vector<HyperConnection> *layers;
        };
        const SubLayer sub_layers[] = {{"hc_attn", &b.hc_attn, &st.hc_attn},
                                       {"hc_mlp", &b.hc_mlp, &st.hc_mlp}};
        for (size_t k = 0; k < 2; k++) {
            const SubLayer &sub = sub_layers[k];
            HyperConnection hc(config.method, d, s, C, config.seed * 1000 + uint64_t(2 * l + k),
                               device);
            *sub.offset = st.num_params;
            for (const auto &slice : hc.param_layout()) {
                st.add_tensor(p + sub.name + "." + slice.name, slice.shape, slice.name == "W");
            }
            sub.layers->push_back(std::move(hc));
        }
        st.blocks.push_back(b);
    }
    st.lnf_g = st.add_tensor("ln_f.weight", {C}, false);
    st.lnf_b = st.add_tensor("ln_f.bias", {C}, false);

    // Seeded initialisation on the host, then one upload.
    std::vector<float> init(size_t(st.num_params), 0.0f);
    Normal normal(config.seed);
    const double proj_std = kInitStd / std::sqrt(2.0 * double(L));
    for (const ParamTensor &t : st.layout) {
        int64_t size = 1;
        for (int64_t e : t.shape) {
            size *= e;
        }
        float *p = init.data() + t.offset;
        const bool gain =
            t.name.find("ln_") != std::string::npos && t.name.find(".weight") != std::string::npos;
        if (gain) {
            std::fill(p, p + size, 1.0f);
        } else if (t.name == "wte") {
            for (int64_t i = 0; i < config.vocab * C; i++) {  // padding rows stay 0
                p[i] = float(normal(kInitStd));
            }
        } else if (t.decayed && t.name.find(".hc_") == std::string::npos) {
            const bool projection = t.name.find("c_proj") != std::string::npos;
            for (int64_t i = 0; i < size; i++) {
                p[i] = float(normal(projection ? proj_std : kInitStd));
            }
        }
    }
    st.params = DeviceBuffer(device, size_t(st.num_params));
    st.grads = DeviceBuffer(device, size_t(st.num_params));
    st.params.upload(init.data(), init.size());
    for (int64_t l = 0; l < L; l++) {
        const BlockOffsets &b = st.blocks[size_t(l)];
        // bind() copies each layer's own seeded initialisation into the block.
        st.hc_attn[size_t(l)].bind(st.param(b.hc_attn), st.grad(b.hc_attn));
        st.hc_mlp[size_t(l)].bind(st.param(b.hc_mlp), st.grad(b.hc_mlp));
    }
    zero_grads();

    // Activations for N = max_batch * context tokens.
    const size_t N = size_t(max_batch * config.context), H = size_t(config.heads);
    const size_t T = size_t(config.context), streams = N * size_t(d) * size_t(C);
    const size_t attn = size_t(max_batch) * H * T * T;
    const auto buffer = [&](size_t count) { return DeviceBuffer(device, count); };
    for (int64_t l = 0; l <= L; l++) {
        st.streams.push_back(buffer(streams));
    }
    for (int64_t l = 0; l < L; l++) {
        BlockActivations a;
        a.x_mid = buffer(streams);
        for (DeviceBuffer *row :
             {&a.y_attn, &a.ln1, &a.attn_y, &a.f_attn, &a.y_mlp, &a.ln2, &a.f_mlp}) {
            *row = buffer(N * size_t(C));
        }
        for (DeviceBuffer *stat : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) {
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
    st.ones = buffer(N * size_t(d));
    fill(st.ones.view({int64_t(N * size_t(d))}), 1.0f);
    st.logits = buffer(N * size_t(Vp));
    st.loss = buffer(N);
    st.lse = buffer(N);
    st.dx[0] = buffer(streams);
    st.dx[1] = buffer(streams);
    for (DeviceBuffer *row : {&st.dy, &st.dln, &st.dattn, &st.df, &st.dz}) {
        *row = buffer(N * size_t(C));
    }
    st.dqkv = buffer(N * 3 * size_t(C));
    st.dprobs = buffer(attn);
    st.dscores = buffer(attn);
    st.dfc = buffer(N * 4 * size_t(C));
    st.dgelu = buffer(N * 4 * size_t(C));
    st.dx_final = buffer(streams);
    st.dh_pre = buffer(N * size_t(d));
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
            int64_t count = 1;
            for (int64_t e : t.shape) {
                count *= e;
            }
            ranges.emplace_back(t.offset, count);
        }
    }
    return ranges;
}
int64_t Gpt::num_params() const { return state_->num_params; }
float *Gpt::params() { return state_->params.data(); }
float *Gpt::grads() { return state_->grads.data(); }
void Gpt::zero_grads() { fill(state_->grads.view({state_->num_params}), 0.0f); }

void Gpt::State::attention_forward(BlockActivations &a) {
    const int64_t C = config.width, H = config.heads, hs = C / H, C3 = 3 * C;
    const float scale = float(1.0 / std::sqrt(double(hs)));
    for (int64_t b = 0; b < batch; b++) {
        const float *q = a.qkv.data() + b * t * C3;
        // S = Q K^T per head.
        matmul_batched(device, H, t, t, hs, 1.0f, plain(q, C3), hs, transposed(q + C, C3), hs, 0.0f,
                       scores.data() + b * H * t * t, t, t * t);
    }
    causal_softmax_forward(scale, scores.view({batch * H, t, t}), a.probs.view({batch * H, t, t}));
    for (int64_t b = 0; b < batch; b++) {
        const float *v = a.qkv.data() + b * t * C3 + 2 * C;
        // Y = P V per head, into the head's columns of attn_y.
        matmul_batched(device, H, t, hs, t, 1.0f, plain(a.probs.data() + b * H * t * t, t), t * t,
                       plain(v, C3), hs, 0.0f, a.attn_y.data() + b * t * C, C, hs);
    }
}

void Gpt::State::attention_backward(BlockActivations &a) {
    const int64_t C = config.width, H = config.heads, hs = C / H, C3 = 3 * C;
    const float scale = float(1.0 / std::sqrt(double(hs)));
    for (int64_t b = 0; b < batch; b++) {
        const float *v = a.qkv.data() + b * t * C3 + 2 * C;
        const float *dy_b = dattn.data() + b * t * C;
        const float *p_b = a.probs.data() + b * H * t * t;
        // dP = dY V^T; dV = P^T dY.
        matmul_batched(device, H, t, t, hs, 1.0f, plain(dy_b, C), hs, transposed(v, C3), hs, 0.0f,
                       dprobs.data() + b * H * t * t, t, t * t);
        matmul_batched(device, H, t, hs, t, 1.0f, transposed(p_b, t), t * t, plain(dy_b, C), hs,
                       0.0f, dqkv.data() + b * t * C3 + 2 * C, C3, hs);
    }
    causal_softmax_backward(scale, a.probs.view({batch * H, t, t}), dprobs.view({batch * H, t, t}),
                            dscores.view({batch * H, t, t}));
    for (int64_t b = 0; b < batch; b++) {
        const float *q = a.qkv.data() + b * t * C3;
        const float *ds_b = dscores.data() + b * H * t * t;
        // dQ = dS K; dK = dS^T Q.
        matmul_batched(device, H, t, hs, t, 1.0f, plain(ds_b, t), t * t, plain(q + C, C3), hs, 0.0f,
                       dqkv.data() + b * t * C3, C3, hs);
        matmul_batched(device, H, t, hs, t, 1.0f, transposed(ds_b, t), t * t, plain(q, C3), hs,
                       0.0f, dqkv.data() + b * t * C3 + C, C3, hs);
    }
}

void Gpt::State::layernorm_backward_adding(const TensorView &dy_v, const TensorView &x,
                                           int64_t g_offset, int64_t b_offset, DeviceBuffer &mean,
                                           DeviceBuffer &rstd, const TensorView &dx_v,
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
    const Device dev = st.device;
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

    embedding_forward(st.tokens.id_view({batch_size, t_size}), st.pview(st.wte, {Vp, C}),
                      st.pview(st.wpe, {cfg.context, C}),
                      st.streams[0].view({batch_size, t_size, d, C}));
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
        matmul(dev, N, 3 * C, C, 1.0f, plain(a.ln1.data(), C), transposed(st.param(o.qkv_w), C),
               0.0f, a.qkv.data(), 3 * C);
        st.attention_forward(a);
        matmul(dev, N, C, C, 1.0f, plain(a.attn_y.data(), C), transposed(st.param(o.proj_w), C),
               0.0f, a.f_attn.data(), C);
        st.hc_attn[size_t(l)].post(x_in, a.f_attn.view({N, C}), x_mid);
        // MLP sub-layer.
        st.hc_mlp[size_t(l)].pre(x_mid, a.y_mlp.view({N, C}));
        layernorm_forward(a.y_mlp.view({N, C}), st.pview(o.ln2_g, {C}), st.pview(o.ln2_b, {C}),
                          a.ln2.view({N, C}), a.ln2_mean.view({N}), a.ln2_rstd.view({N}));
        matmul(dev, N, 4 * C, C, 1.0f, plain(a.ln2.data(), C), transposed(st.param(o.fc_w), C),
               0.0f, a.fc.data(), 4 * C);
        gelu_forward(a.fc.view({N, 4 * C}), a.fc_gelu.view({N, 4 * C}));
        matmul(dev, N, C, 4 * C, 1.0f, plain(a.fc_gelu.data(), 4 * C),
               transposed(st.param(o.fc_proj_w), 4 * C), 0.0f, a.f_mlp.data(), C);
        st.hc_mlp[size_t(l)].post(x_mid, a.f_mlp.view({N, C}), x_out);
    }
    // The final norm on every stream, then the streams summed.
    layernorm_forward(st.streams[size_t(cfg.layers)].view({N * d, C}), st.pview(st.lnf_g, {C}),
                      st.pview(st.lnf_b, {C}), st.x_final.view({N * d, C}),
                      st.lnf_mean.view({N * d}), st.lnf_rstd.view({N * d}));
    const float *combined = st.x_final.data();
    if (d > 1) {
        stream_read_forward(st.x_final.view({N, d, C}), st.ones.view({N, d}),
                            st.combined.view({N, C}));
        combined = st.combined.data();
    }
    // The head, tied to the token embedding: logits = combined wte^T.
    matmul(dev, N, Vp, C, 1.0f, plain(combined, C), transposed(st.param(st.wte), C), 0.0f,
           st.logits.data(), Vp);
    if (!targets_in) {
        return 0.0f;
    }
    cross_entropy_forward(cfg.vocab, st.logits.view({N, Vp}), st.targets.id_view({N}),
                          st.loss.view({N}), st.lse.view({N}));
    std::vector<float> losses(static_cast<size_t>(N));
    st.loss.download(losses.data(), losses.size());
    double total = 0.0;
    for (float x : losses) {
        total += x;
    }
    return float(total / double(N));
}

void Gpt::backward(float loss_scale) {
    State &st = *state_;
    if (!st.have_targets) {
        throw InvalidArgument("gpt backward: the last forward had no targets");
    }
    const GptConfig &cfg = st.config;
    const int64_t B = st.batch, T = st.t, N = B * T, C = cfg.width, d = cfg.d,
                  Vp = cfg.padded_vocab;
    const Device dev = st.device;

    // The loss's gradient overwrites the logits.
    cross_entropy_backward(cfg.vocab, loss_scale / float(N), st.logits.view({N, Vp}),
                           st.targets.id_view({N}), st.lse.view({N}), st.logits.view({N, Vp}));
    const float *combined = d > 1 ? st.combined.data() : st.x_final.data();
    float *dcombined = d > 1 ? st.dz.data() : st.dx_final.data();
    matmul(dev, N, C, Vp, 1.0f, plain(st.logits.data(), Vp), plain(st.param(st.wte), C), 0.0f,
           dcombined, C);
    matmul(dev, Vp, C, N, 1.0f, transposed(st.logits.data(), Vp), plain(combined, C), 1.0f,
           st.grad(st.wte), C);
    if (d > 1) {
        stream_read_backward(st.x_final.view({N, d, C}), st.ones.view({N, d}), st.dz.view({N, C}),
                             st.dx_final.view({N, d, C}), st.dh_pre.view({N, d}));
    }
    int cur = 0;  // st.dx[cur] holds dL/d(streams at the current level)
    st.layernorm_backward_adding(
        st.dx_final.view({N * d, C}), st.streams[size_t(cfg.layers)].view({N * d, C}), st.lnf_g,
        st.lnf_b, st.lnf_mean, st.lnf_rstd, st.dx[cur].view({N * d, C}), N * d);
    for (int64_t l = cfg.layers - 1; l >= 0; l--) {
        BlockActivations &a = st.acts[size_t(l)];
        const BlockOffsets &o = st.blocks[size_t(l)];
        const TensorView dx_out = st.dx[cur].view({N, d, C});
        const TensorView dx_mid = st.dx[1 - cur].view({N, d, C});
        // MLP sub-layer.
        st.hc_mlp[size_t(l)].post_backward(dx_out, dx_mid, st.df.view({N, C}));
        matmul(dev, N, 4 * C, C, 1.0f, plain(st.df.data(), C), plain(st.param(o.fc_proj_w), 4 * C),
               0.0f, st.dgelu.data(), 4 * C);
        matmul(dev, C, 4 * C, N, 1.0f, transposed(st.df.data(), C), plain(a.fc_gelu.data(), 4 * C),
               1.0f, st.grad(o.fc_proj_w), 4 * C);
        gelu_backward(a.fc.view({N, 4 * C}), st.dgelu.view({N, 4 * C}), st.dfc.view({N, 4 * C}));
        matmul(dev, N, C, 4 * C, 1.0f, plain(st.dfc.data(), 4 * C), plain(st.param(o.fc_w), C),
               0.0f, st.dln.data(), C);
        matmul(dev, 4 * C, C, N, 1.0f, transposed(st.dfc.data(), 4 * C), plain(a.ln2.data(), C),
               1.0f, st.grad(o.fc_w), C);
        st.layernorm_backward_adding(st.dln.view({N, C}), a.y_mlp.view({N, C}), o.ln2_g, o.ln2_b,
                                     a.ln2_mean, a.ln2_rstd, st.dy.view({N, C}), N);
        st.hc_mlp[size_t(l)].pre_backward(st.dy.view({N, C}), dx_mid);
        // Attention sub-layer.
        const TensorView dx_in = st.dx[cur].view({N, d, C});
        st.hc_attn[size_t(l)].post_backward(dx_mid, dx_in, st.df.view({N, C}));
        matmul(dev, N, C, C, 1.0f, plain(st.df.data(), C), plain(st.param(o.proj_w), C), 0.0f,
               st.dattn.data(), C);
        matmul(dev, C, C, N, 1.0f, transposed(st.df.data(), C), plain(a.attn_y.data(), C), 1.0f,
               st.grad(o.proj_w), C);
        st.attention_backward(a);
        matmul(dev, N, C, 3 * C, 1.0f, plain(st.dqkv.data(), 3 * C), plain(st.param(o.qkv_w), C),
               0.0f, st.dln.data(), C);
        matmul(dev, 3 * C, C, N, 1.0f, transposed(st.dqkv.data(), 3 * C), plain(a.ln1.data(), C),
               1.0f, st.grad(o.qkv_w), C);
        st.layernorm_backward_adding(st.dln.view({N, C}), a.y_attn.view({N, C}), o.ln1_g, o.ln1_b,
                                     a.ln1_mean, a.ln1_rstd, st.dy.view({N, C}), N);
        st.hc_attn[size_t(l)].pre_backward(st.dy.view({N, C}), dx_in);
    }
    embedding_backward(st.tokens.id_view({B, T}), st.dx[cur].view({B, T, d, C}),
                       st.gview(st.wte, {Vp, C}), st.gview(st.wpe, {cfg.context, C}));
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
