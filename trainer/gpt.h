// The GPT of the trainer (docs/trainer.md): GPT-2 style, pre-norm, every
// attention and MLP sub-layer wrapped by a gomhc hyper-connection of one
// residual method with d streams. All of its parameters live in one flat
// block (and its gradients in another of the same layout), so one AdamW pass
// updates them and one file stores them.
#pragma once

#include <cstdint>
#include <gomhc/gomhc.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gpt_config.h"
#include "stream_diagnostics.h"

namespace gomhc::trainer {

// What a tensor of the model is, which decides its initialisation
// (docs/trainer.md, "The model").
enum class ParamKind {
    token_embedding,     // wte: N(0, 0.02^2) on the vocabulary's rows, padding rows 0
    position_embedding,  // wpe: N(0, 0.02^2)
    stream_embedding,    // wse, one row per stream (home start, d > 1): N(0, 0.02^2)
    layernorm_gain,      // 1
    layernorm_bias,      // 0
    linear_weight,       // c_attn, c_fc: N(0, 0.02^2)
    output_projection,   // the c_proj weights: N(0, (0.02 / sqrt(2 L))^2)
    hyper_connection,    // a slice of a hyper-connection: the layer initialises it
};

// One named tensor of the flat parameter block.
struct ParamTensor {
    std::string name;  // e.g. "h.0.attn.c_attn.weight"
    int64_t offset;    // in floats
    std::vector<int64_t> shape;
    ParamKind kind;
    bool decayed;  // weight decay applies (matrices)
};

class Gpt {
public:
    // Activations are sized for up to `max_batch` sequences of config.context
    // tokens, in `device` memory.
    Gpt(const GptConfig &config, int64_t max_batch, Device device = Device::host);
    ~Gpt();
    Gpt(Gpt &&) noexcept;
    Gpt &operator=(Gpt &&) noexcept;

    const GptConfig &config() const;
    Device device() const;
    const std::vector<ParamTensor> &layout() const;
    // (offset, count) of every tensor weight decay applies to: Adamw's mask.
    std::vector<std::pair<int64_t, int64_t>> decayed_ranges() const;
    int64_t num_params() const;
    // The flat parameter and gradient blocks, in the model's device memory.
    TensorView params_view();
    TensorView grads_view();
    // Their addresses, for host and CUDA memory (tests, tools); OpenCL
    // memory has none (InvalidArgument).
    float *params();
    float *grads();
    void zero_grads();

    // Forward over tokens [batch][t] (host ids, t <= context). With targets
    // [batch][t] it returns the mean cross-entropy and keeps what backward
    // needs; without (null) it only computes the logits.
    float forward(const int32_t *tokens, const int32_t *targets, int64_t batch, int64_t t);
    // Adds the gradients of loss_scale * (mean loss of the last forward)
    // into grads() (loss_scale = 1 / gradient-accumulation steps).
    void backward(float loss_scale);
    // The logits [batch][t][padded_vocab] of the last forward, downloaded.
    std::vector<float> logits_at(int64_t sequence, int64_t position);
    // How the last forward used its streams (docs/trainer.md, "Stream
    // diagnostics"), over its first `max_tokens` tokens: their similarity
    // after the embedding and after every block, and each hyper-connection's
    // coefficients. Downloads the activations.
    StreamDiagnostics stream_diagnostics(int64_t max_tokens = 512);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace gomhc::trainer
