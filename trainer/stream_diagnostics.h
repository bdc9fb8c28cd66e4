// How a hyper-connection network uses its streams (docs/trainer.md,
// "Stream diagnostics"): how alike the streams are after each block, how far
// each layer's H_res is from the identity, and how unevenly H_pre and H_post
// weigh the streams. Computed on the host from one forward's activations.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gomhc::trainer {

// The mean over tokens and over pairs of streams j < k of the cosine
// similarity of X[j] and X[k] (x [T][d][C]); 1 for d = 1. A pair with a zero
// stream counts as 1 when both are zero, else 0.
double mean_pairwise_cosine(const float *x, int64_t tokens, int d, int64_t c);
// The mean over tokens of the streams' root-mean-square distance from their
// mean, over the mean's norm (x [T][d][C]): 0 for copies, and unlike the
// cosine it counts streams that differ only in scale. 0 for d = 1.
double relative_stream_deviation(const float *x, int64_t tokens, int d, int64_t c);
// The mean over tokens of the Frobenius norm of H_res - I (h_res [T][d][d]).
double identity_distance(const float *h_res, int64_t tokens, int d);
// The mean over tokens of the standard deviation over streams (h [T][d]).
double stream_spread(const float *h, int64_t tokens, int d);
// The mean over tokens of H_res [T][d][d]: a d x d matrix, row-major.
std::vector<double> mean_matrix(const float *h_res, int64_t tokens, int d);

// One hyper-connection layer's coefficients at one evaluation.
struct LayerDiagnostics {
    std::string name;  // "h.0.hc_attn"
    double identity_distance = 0, pre_spread = 0, post_spread = 0;
    std::vector<double> mean_h_res;  // d x d
};

// One evaluation: the streams' similarity after the embedding and after each
// block (L + 1 values each), and every layer's coefficients.
struct StreamDiagnostics {
    int d = 1;
    std::vector<double> cosine_after_block, deviation_after_block;
    std::vector<LayerDiagnostics> layers;
};

nlohmann::json to_json(const StreamDiagnostics &diagnostics);
StreamDiagnostics stream_diagnostics_from_json(const nlohmann::json &json);
// A table for a terminal: one row per block and layer.
std::string format_diagnostics(const StreamDiagnostics &diagnostics);

}  // namespace gomhc::trainer
