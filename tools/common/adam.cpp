#include "common/adam.h"

#include <cmath>
#include <stdexcept>

namespace gomhc::tools {

Adam::Adam(size_t count, double lr, double beta1, double beta2, double eps)
    : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps), m_(count, 0.0), v_(count, 0.0) {}

void Adam::step(std::vector<float> &params, const std::vector<float> &grads) {
    if (params.size() != m_.size() || grads.size() != m_.size()) {
        throw std::invalid_argument("Adam::step: size mismatch");
    }
    t_++;
    const double c1 = 1 - std::pow(beta1_, double(t_)), c2 = 1 - std::pow(beta2_, double(t_));
    for (size_t i = 0; i < params.size(); i++) {
        const double g = grads[i];
        m_[i] = beta1_ * m_[i] + (1 - beta1_) * g;
        v_[i] = beta2_ * v_[i] + (1 - beta2_) * g * g;
        const double m_hat = m_[i] / c1, v_hat = v_[i] / c2;
        params[i] = float(double(params[i]) - lr_ * m_hat / (std::sqrt(v_hat) + eps_));
    }
}

}  // namespace gomhc::tools
