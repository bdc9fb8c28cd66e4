#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "utf8.h"

namespace gomhc::trainer {

std::vector<int32_t> generate(Gpt &gpt, std::vector<int32_t> context,
                              const SampleSettings &settings) {
    if (context.empty()) {
        throw InvalidArgument("gomhc sample: the prompt is empty");
    }
    const int64_t window = gpt.config().context;
    std::mt19937_64 rng(settings.seed);
    std::vector<int32_t> out;
    for (int64_t i = 0; i < settings.tokens; i++) {
        const int64_t t = std::min<int64_t>(window, int64_t(context.size()));
        gpt.forward(context.data() + context.size() - size_t(t), nullptr, 1, t);
        std::vector<float> logits = gpt.logits_at(0, t - 1);
        int32_t next = 0;
        if (settings.temperature <= 0.0) {
            next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
        } else {
            std::vector<int32_t> order(logits.size());
            std::iota(order.begin(), order.end(), 0);
            size_t keep = order.size();
            if (settings.top_k > 0 && size_t(settings.top_k) < keep) {
                keep = size_t(settings.top_k);
                std::partial_sort(
                    order.begin(), order.begin() + long(keep), order.end(),
                    [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
            }
            double largest = -INFINITY;
            for (size_t k = 0; k < keep; k++) {
                largest = std::max(largest, double(logits[size_t(order[k])]));
            }
            std::vector<double> weights(keep);
            for (size_t k = 0; k < keep; k++) {
                weights[k] =
                    std::exp((double(logits[size_t(order[k])]) - largest) / settings.temperature);
            }
            const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
            double u = double(rng() >> 11) * 0x1.0p-53 * total;
            next = order[keep - 1];
            for (size_t k = 0; k < keep; k++) {
                if ((u -= weights[k]) < 0) {
                    next = order[k];
                    break;
                }
            }
        }
        context.push_back(next);
        out.push_back(next);
    }
    return out;
}

std::string decode_bytes(const std::vector<int32_t> &tokens) {
    std::string bytes;
    for (int32_t t : tokens) {
        bytes += char(uint8_t(t & 0xff));
    }
    return valid_utf8(bytes);
}

}  // namespace gomhc::trainer
