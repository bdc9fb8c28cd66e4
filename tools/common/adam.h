// Adam (Kingma and Ba, 2015), the optimiser of `gomhc synth` and of the
// reach search of `gomhc spectrum`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gomhc::tools {

// Adam (Kingma and Ba) with bias correction; moments kept in double.
class Adam {
public:
    explicit Adam(size_t count, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                  double eps = 1e-8);
    void step(std::vector<float> &params, const std::vector<float> &grads);
    int64_t steps() const { return t_; }

private:
    double lr_, beta1_, beta2_, eps_;
    int64_t t_ = 0;
    std::vector<double> m_, v_;
};

}  // namespace gomhc::tools
