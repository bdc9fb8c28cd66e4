// The optimizer's ops of the C++ API: the squared gradient norm
// (generators/squared_norm_generator.cpp), AdamW
// (generators/adamw_generator.cpp) and the elementwise helpers add and fill.
#include <cmath>
#include <limits>

#include "device_array.h"
#include "gomhc/ops.hpp"
#include "op_support.h"

namespace gomhc {

using namespace detail;

namespace {

// A flat view of `view`'s elements, within one Halide buffer.
TensorView flat_within_halide(const char *op, const char *name, const TensorView &view) {
    if (view.size() > std::numeric_limits<int32_t>::max()) {
        throw InvalidArgument(std::string(op) + ": '" + name + "' has shape " +
                              view.shape_string() + ", above 2^31 - 1 entries");
    }
    return flat(view);
}

}  // namespace

void squared_norm(const TensorView &x, const TensorView &out) {
    const char *op = "gomhc::squared_norm";
    if (x.size() < 1) {
        throw InvalidArgument(std::string(op) + ": 'x' has shape " + x.shape_string() +
                              ", expected entries");
    }
    const TensorView flat = flat_within_halide(op, "x", x);
    const Device device = check_args(
        op, {{"x", flat, {x.size()}, "x's entries", true}, {"out", out, {1}, "[1]", false}});
    auto fn = find_kernel(op, kernels::squared_norm_variants, device);
    call_whole(op, fn, flat, out);
}

void add(const TensorView &a, const TensorView &b, const TensorView &out) {
    const char *op = "gomhc::add";
    const Device device = check_args(op, {{"a", a, a.shape(), "a's shape", true},
                                          {"b", b, a.shape(), "a's shape", true},
                                          {"out", out, a.shape(), "a's shape", false}});
    auto fn = find_kernel(op, kernels::accumulate_variants, device);
    call_sliced(op, fn, a.size(), 1, flat(a), flat(b), flat(out));
}

void fill(const TensorView &x, float value) {
    const char *op = "gomhc::fill";
    check_args(op, {{"x", x, x.shape(), "x's shape", false}});
    device_fill(address_of(x), size_t(x.size()), value);
}

struct Adamw::State {
    int64_t num_params = 0;
    Device device = Device::host;
    int64_t steps = 0;
    detail::DeviceArray m, v;
    // One byte per parameter, 1 where weight decay applies, in floats' worth
    // of device memory (DeviceArray holds floats).
    detail::DeviceArray decay;
};

Adamw::Adamw(int64_t num_params, const std::vector<std::pair<int64_t, int64_t>> &decayed,
             Device device)
    : state_(std::make_unique<State>()) {
    const char *op = "gomhc::Adamw";
    if (num_params < 1 || num_params > std::numeric_limits<int32_t>::max()) {
        throw InvalidArgument(std::string(op) + ": num_params = " + std::to_string(num_params) +
                              ", expected 1 to 2^31 - 1");
    }
    std::vector<uint8_t> mask(size_t(num_params + 3) / 4 * 4, 0);
    for (const auto &[offset, count] : decayed) {
        if (offset < 0 || count < 0 || offset + count > num_params) {
            throw InvalidArgument(std::string(op) + ": decayed range (offset " +
                                  std::to_string(offset) + ", count " + std::to_string(count) +
                                  ") lies outside the " + std::to_string(num_params) +
                                  " parameters");
        }
        std::fill_n(mask.begin() + offset, count, uint8_t(1));
    }
    require_device(op, device);
    State &st = *state_;
    st.num_params = num_params;
    st.device = device;
    st.m.reset(device, size_t(num_params));
    st.v.reset(device, size_t(num_params));
    st.m.fill(0.0f);
    st.v.fill(0.0f);
    st.decay.reset(device, mask.size() / 4);
    st.decay.upload(reinterpret_cast<const float *>(mask.data()));
}

Adamw::~Adamw() = default;
Adamw::Adamw(Adamw &&) noexcept = default;
Adamw &Adamw::operator=(Adamw &&) noexcept = default;

int64_t Adamw::num_params() const { return state_->num_params; }
Device Adamw::device() const { return state_->device; }
int64_t Adamw::steps() const { return state_->steps; }
float *Adamw::first_moment() { return state_->m.data(); }
float *Adamw::second_moment() { return state_->v.data(); }
TensorView Adamw::first_moment_view() const { return state_->m.view({state_->num_params}); }
TensorView Adamw::second_moment_view() const { return state_->v.view({state_->num_params}); }

void Adamw::set_steps(int64_t steps) {
    if (steps < 0) {
        throw InvalidArgument("gomhc::Adamw::set_steps: steps = " + std::to_string(steps) +
                              ", expected >= 0");
    }
    state_->steps = steps;
}

void Adamw::step(const TensorView &params, const TensorView &grads,
                 const TensorView &grad_squared_norm, const AdamwSettings &settings) {
    const char *op = "gomhc::Adamw::step";
    State &st = *state_;
    const int64_t n = st.num_params;
    const Device device =
        check_args(op, {{"params", params, {n}, "[num_params]", false},
                        {"grads", grads, {n}, "[num_params]", true},
                        {"grad_squared_norm", grad_squared_norm, {1}, "[1]", true}});
    if (device != st.device) {
        throw InvalidArgument(std::string(op) + ": the tensors are in " + device_name(device) +
                              " memory but the optimizer's moments are not");
    }
    const auto positive = [&](const char *name, float value) {
        if (!(value > 0.0f) || !std::isfinite(value)) {
            throw InvalidArgument(std::string(op) + ": " + name + " = " + std::to_string(value) +
                                  ", expected a finite value > 0");
        }
    };
    const auto in_unit = [&](const char *name, float value) {
        if (!(value >= 0.0f && value < 1.0f)) {
            throw InvalidArgument(std::string(op) + ": " + name + " = " + std::to_string(value) +
                                  ", expected 0 <= " + name + " < 1");
        }
    };
    const auto non_negative = [&](const char *name, float value) {
        if (!(value >= 0.0f) || !std::isfinite(value)) {
            throw InvalidArgument(std::string(op) + ": " + name + " = " + std::to_string(value) +
                                  ", expected a finite value >= 0");
        }
    };
    non_negative("lr", settings.lr);
    in_unit("beta1", settings.beta1);
    in_unit("beta2", settings.beta2);
    positive("eps", settings.eps);
    non_negative("weight_decay", settings.weight_decay);
    non_negative("max_norm", settings.max_norm);

    auto fn = find_kernel(op, kernels::adamw_variants, device);
    const double t = double(st.steps + 1);
    const float c1 = float(1.0 - std::pow(double(settings.beta1), t));
    const float c2 = float(1.0 - std::pow(double(settings.beta2), t));
    const TensorView m = st.m.view({n}), v = st.v.view({n});
    // The decay mask is bytes, not floats: its buffer is made here.
    HalideBufferSlice decay(st.decay.address().base, halide_type_t(halide_type_uint, 8), {n},
                            device, 0, n);
    // The kernel updates params and the moments in place: each is an input
    // and an output.
    call_whole(op, fn, params, grads, m, v, &decay.buffer, grad_squared_norm, settings.lr,
               settings.beta1, settings.beta2, settings.eps, settings.weight_decay,
               settings.max_norm, c1, c2, params, m, v);
    st.steps++;
}

// The descriptions (gomhc/ops.hpp) of the flat ops; AdamW keeps moments
// between calls and is the Adamw class, not a catalog op.
namespace {

const OpInfo squared_norm_info{
    "squared_norm",
    {"count"},
    [](const std::vector<double> &z) -> std::vector<OpTensor> {
        return {{"x", {op_size("squared_norm", z, 0, "count")}, false}, {"out", {1}, true}};
    },
    [](const std::vector<double> &, const OpData &v) { squared_norm(v.tensor(0), v.tensor(1)); },
    "",
    {{1}, {1037}, {100003}}};
const OpInfo add_info{"add",
                      {"count"},
                      [](const std::vector<double> &z) -> std::vector<OpTensor> {
                          const int64_t n = op_size("add", z, 0, "count");
                          return {{"a", {n}, false}, {"b", {n}, false}, {"out", {n}, true}};
                      },
                      [](const std::vector<double> &, const OpData &v) {
                          add(v.tensor(0), v.tensor(1), v.tensor(2));
                      },
                      "",
                      {{1}, {1037}, {100003}}};
const OpRegistration squared_norm_op(squared_norm_info);
const OpRegistration add_op(add_info);

}  // namespace

}  // namespace gomhc
