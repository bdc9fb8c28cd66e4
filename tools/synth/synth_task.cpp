#include "synth/synth_task.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace gomhc::tools::synth {

TargetSet parse_target_set(const std::string &name) {
    if (name == "mixed") return TargetSet::mixed;
    if (name == "cycle3") return TargetSet::cycle3;
    if (name == "cycle") return TargetSet::cycle;
    throw std::invalid_argument("unknown target set '" + name + "' (mixed, cycle3, cycle)");
}

std::string target_set_name(TargetSet set) {
    switch (set) {
        case TargetSet::mixed:
            return "mixed";
        case TargetSet::cycle3:
            return "cycle3";
        case TargetSet::cycle:
            return "cycle";
    }
    return "?";
}

Matrix permutation_matrix(const std::vector<int> &perm) {
    const int d = int(perm.size());
    Matrix m(size_t(d) * d, 0.0);
    for (int i = 0; i < d; i++) m[size_t(i) * d + perm[i]] = 1;
    return m;
}

Matrix cycle_matrix(int d, int k) {
    std::vector<int> perm(d);
    std::iota(perm.begin(), perm.end(), 0);
    for (int i = 0; i < k; i++) perm[i] = (i + k - 1) % k;
    return permutation_matrix(perm);
}

std::vector<Matrix> make_targets(int d, int count, TargetSet set, uint64_t seed) {
    if (d < 1) throw std::invalid_argument("d must be >= 1");
    if (set == TargetSet::cycle3 && d < 3) {
        throw std::invalid_argument("the cycle3 targets need d >= 3, got d = " + std::to_string(d));
    }
    std::vector<Matrix> targets;
    if (set != TargetSet::mixed) {
        const Matrix m = cycle_matrix(d, set == TargetSet::cycle3 ? 3 : d);
        targets.assign(count, m);
        return targets;
    }
    auto transpose = [d](const Matrix &m) {
        Matrix t(m.size());
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) t[size_t(j) * d + i] = m[size_t(i) * d + j];
        return t;
    };
    std::vector<Matrix> fixed{cycle_matrix(d, d)};
    if (d >= 3) fixed.push_back(transpose(fixed[0]));
    if (d >= 4) {
        fixed.push_back(cycle_matrix(d, 3));
        fixed.push_back(transpose(fixed.back()));
    }
    for (size_t i = 0; i < fixed.size() && int(targets.size()) < count; i++) {
        targets.push_back(fixed[i]);
    }
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 1);
    std::exponential_distribution<double> exponential(1.0);
    std::vector<int> perm(d);
    while (int(targets.size()) < count) {
        const int k = 2 + int(rng() % 3);  // 2..4 permutations
        std::vector<double> w(k);
        double total = 0;
        for (double &v : w) total += v = exponential(rng);  // Dirichlet(1, ..., 1)
        Matrix m(size_t(d) * d, 0.0);
        for (int p = 0; p < k; p++) {
            std::iota(perm.begin(), perm.end(), 0);
            std::shuffle(perm.begin(), perm.end(), rng);
            for (int i = 0; i < d; i++) m[size_t(i) * d + perm[i]] += w[p] / total;
        }
        targets.push_back(m);
    }
    return targets;
}

Dataset make_dataset(const std::vector<Matrix> &targets, int d, int samples, uint64_t seed) {
    Dataset data;
    data.targets = int(targets.size());
    data.d = d;
    data.samples = samples;
    const size_t size = size_t(data.targets) * d * samples;
    data.x.resize(size);
    data.y.resize(size);
    std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ull + 2);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (float &v : data.x) v = uniform(rng);
    for (int t = 0; t < data.targets; t++) {
        const Matrix &m = targets[t];
        const float *x = &data.x[size_t(t) * d * samples];
        float *y = &data.y[size_t(t) * d * samples];
        for (int i = 0; i < d; i++) {
            for (int c = 0; c < samples; c++) {
                double sum = 0;
                for (int j = 0; j < d; j++)
                    sum += m[size_t(i) * d + j] * x[size_t(j) * samples + c];
                y[size_t(i) * samples + c] = float(sum + kNoiseScale * uniform(rng));
            }
        }
    }
    return data;
}

double mse_loss(const std::vector<float> &pred, const std::vector<float> &y,
                std::vector<float> *grad) {
    if (pred.size() != y.size() || pred.empty()) {
        throw std::invalid_argument("mse_loss: " + std::to_string(pred.size()) +
                                    " predictions for " + std::to_string(y.size()) + " targets");
    }
    const double scale = 1.0 / double(pred.size());
    if (grad) grad->resize(pred.size());
    double sum = 0;
    for (size_t i = 0; i < pred.size(); i++) {
        const double r = double(pred[i]) - double(y[i]);
        sum += r * r;
        if (grad) (*grad)[i] = float(2 * r * scale);
    }
    return sum * scale;
}

std::vector<float> mix(const Dataset &data, const std::vector<float> &h) {
    const int d = data.d, c = data.samples;
    std::vector<float> pred(data.x.size());
    for (int t = 0; t < data.targets; t++) {
        const float *x = &data.x[size_t(t) * d * c];
        const float *ht = &h[size_t(t) * d * d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < c; k++) {
                double sum = 0;
                for (int j = 0; j < d; j++) sum += double(ht[i * d + j]) * x[size_t(j) * c + k];
                pred[(size_t(t) * d + i) * c + k] = float(sum);
            }
        }
    }
    return pred;
}

int64_t epochs_to_converge(const std::vector<double> &losses) {
    if (losses.empty()) return -1;
    const double final_loss = losses.back();
    for (size_t e = 0; e < losses.size(); e++) {
        if (std::abs(losses[e] - final_loss) <= 0.05 * std::abs(final_loss)) return int64_t(e);
    }
    return int64_t(losses.size()) - 1;
}

double doubly_stochastic_error(const Matrix &m, int d) {
    double worst = 0;
    for (int i = 0; i < d; i++) {
        double row = 0, col = 0;
        for (int j = 0; j < d; j++) {
            row += m[size_t(i) * d + j];
            col += m[size_t(j) * d + i];
            worst = std::max(worst, -m[size_t(i) * d + j]);
        }
        worst = std::max({worst, std::abs(row - 1), std::abs(col - 1)});
    }
    return worst;
}

}  // namespace gomhc::tools::synth
