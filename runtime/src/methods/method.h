// What a residual-mixer method is to the runtime: its name, the (d, s) it
// takes, its residual-logit count K, its starting logits and its mixer
// (logits [T][K] -> H_res [T][d][d] and back). Each method lives in its own
// file here (methods/<name>.cpp) and registers one MethodSpec; methods.cpp,
// the Mixer and the layer only look methods up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "gomhc/gomhc.hpp"
#include "gomhc/seeded_normal.hpp"
#include "layer_path.h"

namespace gomhc::detail {

// A method's mixer over tensors the Mixer has checked (logits [T][K],
// h_res [T][d][d], all on one device). It keeps what its backward needs
// from the last forward.
class MethodMixer {
public:
    virtual ~MethodMixer() = default;
    virtual void forward(const char *op, const TensorView &logits, const TensorView &h_res) = 0;
    // dlogits [T][K] (overwritten) from dh_res, for the last forward's logits.
    virtual void backward(const char *op, const TensorView &logits, const TensorView &dh_res,
                          const TensorView &dlogits) = 0;
};

// b_pre and b_post on a layer's home stream and on its other streams.
struct GateStart {
    double pre_home, pre_other, post_home, post_other;
};

struct MethodSpec {
    Method method;
    const char *name;
    // Throws InvalidArgument, starting with `where`, when the method cannot
    // take (d, s); d >= 1 and s >= 1 are checked before.
    void (*check_shape)(const std::string &where, int d, int s);
    // K for a (d, s) check_shape accepted.
    int64_t (*logit_count)(int d, int s);
    // The documented starting point: logits[0..K), drawing from `normal`
    // once per logit, in order.
    void (*initial_logits)(int d, int s, SeededNormal &normal, float *logits, int64_t count);
    std::unique_ptr<MethodMixer> (*make_mixer)(int d, int s);
    // The layer's path for a method without coefficients (the plain
    // residual X + F(X)); null: the hyper-connection path (layer.cpp).
    std::unique_ptr<LayerPath> (*make_layer_path)(int64_t c, DeviceArray &params,
                                                  DeviceArray &grads) = nullptr;
    // The gates' starting biases with a home stream (docs/math.md section
    // 3.1), on the home stream and on the others: by default as the
    // mHC-lite/KromHC reference starts its sigmoid gates, +1 and -1 for both
    // H_pre and H_post.
    GateStart home_start = {1.0, -1.0, 1.0, -1.0};
};

// Called once per method, by a static MethodRegistration in its file.
struct MethodRegistration {
    explicit MethodRegistration(const MethodSpec &spec);
};

const MethodSpec &method_spec(Method method);
// Every registered method, in the order of the Method enum.
std::vector<const MethodSpec *> method_specs();

// The identity start's jitter: small noise breaks the symmetry of the
// identity (docs/math.md section 2.3).
constexpr double kStartJitter = 0.01;

// Copies all of `src` into `dst` (same size), on their device.
void copy_view(const TensorView &src, const TensorView &dst);

}  // namespace gomhc::detail
