// The go mixer of one (d, s): Cayley map then projection. go uses one,
// go-kron one per Kronecker factor.
#pragma once

#include "device_array.h"
#include "method.h"
#include "op_support.h"

namespace gomhc::detail {

class GoMixer : public MethodMixer {
public:
    GoMixer(int d, int s) : d_(d), s_(s) {}

    void forward(const char *, const TensorView &logits, const TensorView &h_res) override {
        if (logits.shape()[1] == 0) {
            fill(h_res, 1.0f);  // n = 1: Q = [1]
            return;
        }
        const int64_t tokens = logits.shape()[0], n = int64_t(d_) * s_;
        q_.reset(logits.device(), size_t(tokens * n * n));
        const TensorView q = q_.view({tokens, n, n});
        cayley_forward(d_, s_, logits, q);
        orthostochastic_forward(d_, s_, q, h_res);
    }
    void backward(const char *, const TensorView &logits, const TensorView &dh_res,
                  const TensorView &dlogits) override {
        if (logits.shape()[1] == 0) {
            return;
        }
        const int64_t tokens = logits.shape()[0], n = int64_t(d_) * s_;
        dq_.reset(logits.device(), size_t(tokens * n * n));
        const TensorView q = q_.view({tokens, n, n}), dq = dq_.view({tokens, n, n});
        orthostochastic_backward(d_, s_, q, dh_res, dq);
        cayley_backward(d_, s_, q, dq, dlogits);
    }

private:
    int d_, s_;
    DeviceArray q_, dq_;  // [T][n][n]
};

}  // namespace gomhc::detail
