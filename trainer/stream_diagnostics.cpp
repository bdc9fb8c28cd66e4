// The stream diagnostics' measures, their JSON form and their table.
#include "stream_diagnostics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace gomhc::trainer {

double mean_pairwise_cosine(const float *x, int64_t tokens, int d, int64_t c) {
    if (d < 2 || tokens < 1) {
        return 1.0;
    }
    double total = 0;
    std::vector<double> norms(static_cast<size_t>(d));
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * d * c;
        for (int j = 0; j < d; j++) {
            double sq = 0;
            for (int64_t k = 0; k < c; k++) {
                sq += double(row[j * c + k]) * row[j * c + k];
            }
            norms[size_t(j)] = std::sqrt(sq);
        }
        for (int j = 0; j < d; j++) {
            for (int i = j + 1; i < d; i++) {
                double dot = 0;
                for (int64_t k = 0; k < c; k++) {
                    dot += double(row[j * c + k]) * row[i * c + k];
                }
                const double scale = norms[size_t(j)] * norms[size_t(i)];
                if (scale > 0) {
                    total += dot / scale;
                } else if (norms[size_t(j)] == 0 && norms[size_t(i)] == 0) {
                    total += 1.0;
                }
            }
        }
    }
    return total / (double(tokens) * d * (d - 1) / 2);
}

double relative_stream_deviation(const float *x, int64_t tokens, int d, int64_t c) {
    if (d < 2 || tokens < 1) {
        return 0.0;
    }
    double total = 0;
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * d * c;
        double mean_sq = 0, spread_sq = 0;
        for (int64_t k = 0; k < c; k++) {
            double mean = 0;
            for (int j = 0; j < d; j++) {
                mean += row[j * c + k];
            }
            mean /= d;
            mean_sq += mean * mean;
            for (int j = 0; j < d; j++) {
                spread_sq += (row[j * c + k] - mean) * (row[j * c + k] - mean);
            }
        }
        if (mean_sq > 0) {
            total += std::sqrt(spread_sq / d / mean_sq);
        }
    }
    return total / double(tokens);
}

double identity_distance(const float *h_res, int64_t tokens, int d) {
    double total = 0;
    for (int64_t t = 0; t < tokens; t++) {
        double sq = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                const double e = double(h_res[(t * d + i) * d + j]) - (i == j ? 1.0 : 0.0);
                sq += e * e;
            }
        }
        total += std::sqrt(sq);
    }
    return tokens > 0 ? total / double(tokens) : 0.0;
}

double stream_spread(const float *h, int64_t tokens, int d) {
    double total = 0;
    for (int64_t t = 0; t < tokens; t++) {
        double mean = 0;
        for (int j = 0; j < d; j++) {
            mean += h[t * d + j];
        }
        mean /= d;
        double var = 0;
        for (int j = 0; j < d; j++) {
            var += (h[t * d + j] - mean) * (h[t * d + j] - mean);
        }
        total += std::sqrt(var / d);
    }
    return tokens > 0 ? total / double(tokens) : 0.0;
}

std::vector<double> mean_matrix(const float *h_res, int64_t tokens, int d) {
    std::vector<double> mean(size_t(d) * size_t(d), 0.0);
    for (int64_t t = 0; t < tokens; t++) {
        for (size_t e = 0; e < mean.size(); e++) {
            mean[e] += h_res[size_t(t) * mean.size() + e];
        }
    }
    for (double &v : mean) {
        v /= double(std::max<int64_t>(tokens, 1));
    }
    return mean;
}

nlohmann::json to_json(const StreamDiagnostics &diagnostics) {
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerDiagnostics &l : diagnostics.layers) {
        layers.push_back({{"name", l.name},
                          {"h_res_identity_distance", l.identity_distance},
                          {"h_pre_spread", l.pre_spread},
                          {"h_post_spread", l.post_spread},
                          {"mean_h_res", l.mean_h_res}});
    }
    return {{"d", diagnostics.d},
            {"stream_cosine", diagnostics.cosine_after_block},
            {"stream_deviation", diagnostics.deviation_after_block},
            {"layers", layers}};
}

StreamDiagnostics stream_diagnostics_from_json(const nlohmann::json &json) {
    StreamDiagnostics out;
    out.d = json.at("d").get<int>();
    out.cosine_after_block = json.at("stream_cosine").get<std::vector<double>>();
    out.deviation_after_block = json.at("stream_deviation").get<std::vector<double>>();
    if (out.deviation_after_block.size() != out.cosine_after_block.size()) {
        throw std::invalid_argument(
            "stream diagnostics: " + std::to_string(out.deviation_after_block.size()) +
            " stream deviations for " + std::to_string(out.cosine_after_block.size()) + " cosines");
    }
    for (const nlohmann::json &l : json.at("layers")) {
        LayerDiagnostics layer;
        layer.name = l.at("name").get<std::string>();
        layer.identity_distance = l.at("h_res_identity_distance").get<double>();
        layer.pre_spread = l.at("h_pre_spread").get<double>();
        layer.post_spread = l.at("h_post_spread").get<double>();
        layer.mean_h_res = l.at("mean_h_res").get<std::vector<double>>();
        if (layer.mean_h_res.size() != size_t(out.d) * size_t(out.d)) {
            throw std::invalid_argument(
                "stream diagnostics: layer " + layer.name + " has " +
                std::to_string(layer.mean_h_res.size()) +
                " H_res entries, expected d*d = " + std::to_string(out.d * out.d));
        }
        out.layers.push_back(std::move(layer));
    }
    return out;
}

std::string format_diagnostics(const StreamDiagnostics &diagnostics) {
    std::string text;
    char line[160];
    std::snprintf(line, sizeof line, "%-22s %14s %14s\n", "after", "stream cosine", "deviation");
    text += line;
    for (size_t b = 0; b < diagnostics.cosine_after_block.size(); b++) {
        const std::string where = b == 0 ? "embedding" : "block " + std::to_string(b - 1);
        std::snprintf(line, sizeof line, "%-22s %14.5f %14.5f\n", where.c_str(),
                      diagnostics.cosine_after_block[b], diagnostics.deviation_after_block[b]);
        text += line;
    }
    if (!diagnostics.layers.empty()) {
        std::snprintf(line, sizeof line, "\n%-22s %14s %14s %14s\n", "layer", "|H_res - I|",
                      "H_pre spread", "H_post spread");
        text += line;
        for (const LayerDiagnostics &l : diagnostics.layers) {
            std::snprintf(line, sizeof line, "%-22s %14.5f %14.5f %14.5f\n", l.name.c_str(),
                          l.identity_distance, l.pre_spread, l.post_spread);
            text += line;
        }
    }
    return text;
}

}  // namespace gomhc::trainer
