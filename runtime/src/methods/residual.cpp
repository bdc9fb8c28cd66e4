// residual: the plain residual connection X_next = X + F(X), one stream
// (d = 1), no logits, no coefficients and no parameters. Its mixer is
// H_res = [1]; its layer path copies and adds.
#include "method.h"

namespace gomhc::detail {
namespace {

class ResidualMixer : public MethodMixer {
public:
    void forward(const char *, const TensorView &, const TensorView &h_res) override {
        fill(h_res, 1.0f);
    }
    void backward(const char *, const TensorView &, const TensorView &,
                  const TensorView &) override {}
};

// The streams are [T][1][C]: each is used as [T][C].
TensorView rows(const TensorView &streams) {
    return reshaped(streams, {streams.shape()[0], streams.shape()[2]});
}

class ResidualPath : public LayerPath {
public:
    int64_t coefficient_count() const override { return 0; }
    int64_t num_params() const override { return 0; }
    void initialise(uint64_t, int, float *) const override {}
    std::vector<HyperConnection::ParamSlice> param_layout() const override { return {}; }

    void pre(const TensorView &x, const TensorView &y) override { copy_view(rows(x), y); }
    void post(const TensorView &x, const TensorView &f, const TensorView &x_next) override {
        add(rows(x), f, rows(x_next));
    }
    void post_backward(const TensorView &, const TensorView &, const TensorView &dx_next,
                       const TensorView &dx, const TensorView &df) override {
        copy_view(rows(dx_next), rows(dx));
        copy_view(rows(dx_next), df);
    }
    void pre_backward(const TensorView &, const TensorView &dy, const TensorView &dx) override {
        add(rows(dx), dy, rows(dx));
    }

    TensorView h_pre(int64_t) override { throw none("h_pre"); }
    TensorView h_post(int64_t) override { throw none("h_post"); }
    TensorView h_res(int64_t) override { throw none("h_res"); }

private:
    static InvalidArgument none(const char *what) {
        return InvalidArgument(std::string("gomhc::HyperConnection::") + what +
                               ": the residual method has no coefficients");
    }
};

void check_shape(const std::string &where, int d, int) {
    if (d != 1) {
        throw InvalidArgument(where + "d = " + std::to_string(d) +
                              ", but the plain residual X + F(X) has exactly one stream (d = 1)");
    }
}

const MethodSpec spec{
    Method::residual,
    "residual",
    check_shape,
    [](int, int) -> int64_t { return 0; },
    [](int, int, SeededNormal &, float *, int64_t) {},
    [](int, int) -> std::unique_ptr<MethodMixer> { return std::make_unique<ResidualMixer>(); },
    [](int64_t, DeviceArray &, DeviceArray &) -> std::unique_ptr<LayerPath> {
        return std::make_unique<ResidualPath>();
    }};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail
