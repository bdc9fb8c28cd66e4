#include "synth/synth_task.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace gomhc::tools::synth {

TargetSet parse_target_set(const std::string &name) {
    if (name == "sinkhorn") return TargetSet::sinkhorn;
    if (name == "birkhoff") return TargetSet::birkhoff;
    if (name == "mixed") return TargetSet::mixed;
    if (name == "cycle3") return TargetSet::cycle3;
    if (name == "cycle") return TargetSet::cycle;
    throw std::invalid_argument("unknown target set '" + name +
                                "' (sinkhorn, birkhoff, mixed, cycle3, cycle)");
}

std::string target_set_name(TargetSet set) {
    switch (set) {
        case TargetSet::sinkhorn:
            return "sinkhorn";
        case TargetSet::birkhoff:
            return "birkhoff";
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
    if (set == TargetSet::birkhoff && d > kMaxBirkhoffD) {
        throw std::invalid_argument("the birkhoff targets sum all d! permutation matrices: d <= " +
                                    std::to_string(kMaxBirkhoffD) +
                                    ", got d = " + std::to_string(d));
    }
    std::vector<Matrix> targets;
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 1);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::exponential_distribution<double> exponential(1.0);
    if (set == TargetSet::sinkhorn) {
        constexpr int kSweeps = 20;  // the notebook's
        while (int(targets.size()) < count) {
            Matrix m(size_t(d) * d);
            for (double &v : m) v = uniform(rng);
            for (int sweep = 0; sweep < kSweeps; sweep++) {
                for (int i = 0; i < d; i++) {
                    double row = 0;
                    for (int j = 0; j < d; j++) row += m[size_t(i) * d + j];
                    for (int j = 0; j < d; j++) m[size_t(i) * d + j] /= row;
                }
                for (int j = 0; j < d; j++) {
                    double col = 0;
                    for (int i = 0; i < d; i++) col += m[size_t(i) * d + j];
                    for (int i = 0; i < d; i++) m[size_t(i) * d + j] /= col;
                }
            }
            targets.push_back(m);
        }
        return targets;
    }
    if (set == TargetSet::birkhoff) {
        std::vector<std::vector<int>> perms;
        std::vector<int> perm(d);
        std::iota(perm.begin(), perm.end(), 0);
        do perms.push_back(perm);
        while (std::next_permutation(perm.begin(), perm.end()));
        std::vector<double> w(perms.size());
        while (int(targets.size()) < count) {
            double total = 0;
            for (double &v : w) total += v = exponential(rng);  // Dirichlet(1, ..., 1)
            Matrix m(size_t(d) * d, 0.0);
            for (size_t p = 0; p < perms.size(); p++) {
                for (int i = 0; i < d; i++) m[size_t(i) * d + perms[p][i]] += w[p] / total;
            }
            targets.push_back(m);
        }
        return targets;
    }
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

Dataset make_dataset(const std::vector<Matrix> &targets, int d, int samples, uint64_t seed,
                     const InputOptions &inputs) {
    if (!(inputs.sparsity >= 0 && inputs.sparsity < 1)) {
        throw std::invalid_argument("sparsity must be in [0, 1), got " +
                                    std::to_string(inputs.sparsity));
    }
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
    if (inputs.sparsity > 0 || inputs.scale_by_kept) {
        for (int t = 0; t < data.targets; t++) {
            float *x = &data.x[size_t(t) * d * samples];
            for (int c = 0; c < samples; c++) {
                int kept = 0;
                for (int j = 0; j < d; j++) {
                    if (uniform(rng) < inputs.sparsity) {
                        x[size_t(j) * samples + c] = 0;
                    } else {
                        kept++;
                    }
                }
                if (inputs.scale_by_kept) {
                    for (int j = 0; j < d; j++) x[size_t(j) * samples + c] *= float(kept);
                }
            }
        }
    }
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

std::vector<double> per_target_loss(const Dataset &data, const std::vector<float> &pred) {
    const size_t per = size_t(data.d) * data.samples;
    if (pred.size() != data.y.size() || pred.size() != per * data.targets) {
        throw std::invalid_argument("per_target_loss: " + std::to_string(pred.size()) +
                                    " predictions for " + std::to_string(data.y.size()) +
                                    " outputs");
    }
    std::vector<double> loss(size_t(data.targets), 0.0);
    for (int t = 0; t < data.targets; t++) {
        double sum = 0;
        for (size_t i = size_t(t) * per; i < size_t(t + 1) * per; i++) {
            const double r = double(pred[i]) - double(data.y[i]);
            sum += r * r;
        }
        loss[size_t(t)] = sum / double(per);
    }
    return loss;
}

int64_t epochs_to_converge(const std::vector<double> &losses) {
    if (losses.empty()) return -1;
    const double cutoff = losses.back() * 1.05;
    for (size_t e = 0; e < losses.size(); e++) {
        if (losses[e] <= cutoff) return int64_t(e);
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
