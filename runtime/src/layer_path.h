// How a HyperConnection layer moves its streams, once the layer has checked
// a call's shapes, devices and order: the hyper-connection path (the
// coefficients, the method's mixer, the stream write; layer.cpp) for every
// method with coefficients, and the plain residual's own path
// (methods/residual.cpp). The layer owns the parameter and gradient memory.
#pragma once

#include <cstdint>
#include <vector>

#include "device_array.h"
#include "gomhc/gomhc.hpp"

namespace gomhc::detail {

class LayerPath {
public:
    virtual ~LayerPath() = default;

    virtual int64_t coefficient_count() const = 0;  // K
    virtual int64_t num_params() const = 0;
    // The documented initialisation of num_params() floats, in host memory,
    // with the gates favouring stream `home` (-1: the symmetric start).
    virtual void initialise(uint64_t seed, int home, float *params) const = 0;
    virtual std::vector<HyperConnection::ParamSlice> param_layout() const = 0;

    // x [T][d][C] -> y [T][C]; x is kept (as a view) until the backward.
    virtual void pre(const TensorView &x, const TensorView &y) = 0;
    virtual void post(const TensorView &x, const TensorView &f, const TensorView &x_next) = 0;
    // Overwrites dx and df.
    virtual void post_backward(const TensorView &x, const TensorView &f, const TensorView &dx_next,
                               const TensorView &dx, const TensorView &df) = 0;
    // Adds into dx and into the parameters' gradients.
    virtual void pre_backward(const TensorView &x, const TensorView &dy, const TensorView &dx) = 0;

    // The last pre's coefficients, [T][d], [T][d], [T][d][d].
    virtual TensorView h_pre(int64_t tokens) = 0;
    virtual TensorView h_post(int64_t tokens) = 0;
    virtual TensorView h_res(int64_t tokens) = 0;
};

}  // namespace gomhc::detail
