// gomhc::Mixer: each method's residual mixer, logits -> H_res and back,
// composed from the generated kernels.
#include <cstring>
#include <optional>
#include <string>

#include "buffer_slice.h"
#include "device_array.h"
#include "methods.h"
#include "op_support.h"

namespace gomhc {

using namespace detail;

namespace {

// Copies `width` floats of each of `rows` rows between arrays with the given
// row pitches, in host or CUDA memory.
void copy_rows(Device device, float *dst, size_t dst_pitch, const float *src, size_t src_pitch,
               size_t width, size_t rows) {
    if (width == 0 || rows == 0) {
        return;
    }
    if (device == Device::cuda) {
        cuda_copy_rows(dst, dst_pitch, src, src_pitch, width, rows);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        std::memcpy(dst + r * dst_pitch, src + r * src_pitch, width * sizeof(float));
    }
}

// The permutation table of mhc-lite as an int32 halide_buffer_t [P][d], in
// host memory and marked host-dirty, so Halide copies it to the GPU the first
// time a CUDA kernel reads it (and device_free releases that copy). Without
// the flag Halide would take the unwritten device copy as current.
struct PermutationTable {
    std::vector<int32_t> entries;
    halide_dimension_t dims[2];
    halide_buffer_t buffer{};

    explicit PermutationTable(int d) : entries(permutations(d)) {
        const int32_t count = int32_t(entries.size() / size_t(d));
        dims[0] = halide_dimension_t(0, d, 1);
        dims[1] = halide_dimension_t(0, count, d);
        buffer.type = halide_type_t(halide_type_int, 32);
        buffer.dimensions = 2;
        buffer.dim = dims;
        buffer.host = reinterpret_cast<uint8_t *>(entries.data());
        buffer.flags |= halide_buffer_flag_host_dirty;
    }
    ~PermutationTable() {
        if (buffer.device) {
            halide_device_free(nullptr, &buffer);
        }
    }
    PermutationTable(const PermutationTable &) = delete;
    PermutationTable &operator=(const PermutationTable &) = delete;
};

template<typename Fn>
Fn pick(const char *op, const kernels::Variant<Fn> *(*table)(int *), int key, Device device) {
    int count = 0;
    const auto *variants = table(&count);
    return require_variant(op, kernels::choose(variants, count, key, 0, device), device);
}

}  // namespace

struct Mixer::State {
    Method method;
    int d, s;
    int64_t logits_count;
    KronFactors factors{1, 1};
    std::unique_ptr<PermutationTable> permutations;

    // The last forward: its logits (a view, for the baselines' backward) and
    // the go / go-kron intermediates.
    bool forward_done = false;
    int64_t tokens = 0;
    Device device = Device::host;
    std::optional<TensorView> logits;
    std::string forward_op, backward_op;  // for messages, built once
    DeviceArray q, dq;                    // go: [T][n][n]
    DeviceArray p1, p2, q1, q2, h1, h2;   // go-kron factors
    DeviceArray dp1, dp2, dq1, dq2, dh1, dh2;
};

Mixer::Mixer(Method method, int d, int s) : state_(std::make_unique<State>()) {
    check_method_shape(method, d, s);
    state_->method = method;
    state_->d = d;
    state_->s = s;
    state_->logits_count = residual_logit_count(method, d, s);
    state_->forward_op = "gomhc::Mixer(" + method_name(method) + ")::forward";
    state_->backward_op = "gomhc::Mixer(" + method_name(method) + ")::backward";
    if (method == Method::go_kron) {
        state_->factors = kron_factors(d);
    }
    if (method == Method::mhc_lite) {
        state_->permutations = std::make_unique<PermutationTable>(d);
    }
}

Mixer::~Mixer() = default;
Mixer::Mixer(Mixer &&) noexcept = default;
Mixer &Mixer::operator=(Mixer &&) noexcept = default;

Method Mixer::method() const { return state_->method; }
int Mixer::d() const { return state_->d; }
int Mixer::s() const { return state_->s; }
int64_t Mixer::logit_count() const { return state_->logits_count; }

void Mixer::forward(const TensorView &logits, const TensorView &h_res) {
    State &st = *state_;
    const char *op = st.forward_op.c_str();
    const int64_t tokens = leading_tokens(op, "logits", logits, 2);
    const int64_t d = st.d, k = st.logits_count;
    const Device device =
        check_args(op, {{"logits", logits, {tokens, k}, "[tokens][residual logits]", true},
                        {"h_res", h_res, {tokens, d, d}, "[tokens][d][d]", false}});
    st.forward_done = false;
    const auto slices = [&](int64_t per_token, auto call) {
        for_token_slices(tokens, std::max<int64_t>(per_token, 1), call);
    };

    switch (st.method) {
        case Method::residual:
            fill(h_res, 1.0f);
            break;
        case Method::hc:
            copy_rows(device, const_cast<float *>(h_res.data()), size_t(tokens * k), logits.data(),
                      size_t(tokens * k), size_t(tokens * k), 1);
            break;
        case Method::mhc: {
            auto fn = pick(op, kernels::sinkhorn_forward_variants, st.d, device);
            const TensorView square = reshaped(logits, {tokens, d, d});
            slices(d * d, [&](int64_t first, int64_t size) {
                HalideBufferSlice l(square, first, size), h(h_res, first, size);
                check_kernel(op, fn(st.d, &l.buffer, &h.buffer));
            });
            break;
        }
        case Method::mhc_lite: {
            auto fn = pick(op, kernels::permutation_mix_forward_variants, st.d, device);
            slices(std::max(k, d * d), [&](int64_t first, int64_t size) {
                HalideBufferSlice l(logits, first, size), h(h_res, first, size);
                check_kernel(op, fn(st.d, &st.permutations->buffer, &l.buffer, &h.buffer));
            });
            break;
        }
        case Method::kromhc: {
            if (k == 0) {
                fill(h_res, 1.0f);  // d = 1
                break;
            }
            auto fn = pick(op, kernels::kromhc_forward_variants, 0, device);
            slices(d * d, [&](int64_t first, int64_t size) {
                HalideBufferSlice l(logits, first, size), h(h_res, first, size);
                check_kernel(op, fn(st.d, &l.buffer, &h.buffer));
            });
            break;
        }
        case Method::go: {
            if (k == 0) {
                fill(h_res, 1.0f);  // n = 1: Q = [1]
                break;
            }
            const int64_t n = d * st.s;
            st.q.reset(device, size_t(tokens * n * n));
            const TensorView q = st.q.view({tokens, n, n});
            cayley_forward(st.d, st.s, logits, q);
            orthostochastic_forward(st.d, st.s, q, h_res);
            break;
        }
        case Method::go_kron: {
            const int64_t d1 = st.factors.d1, d2 = st.factors.d2;
            const int64_t n1 = d1 * st.s, n2 = d2 * st.s;
            const int64_t k1 = n1 * (n1 - 1) / 2, k2 = n2 * (n2 - 1) / 2;
            st.p1.reset(device, size_t(tokens * k1));
            st.p2.reset(device, size_t(tokens * k2));
            st.q1.reset(device, size_t(tokens * n1 * n1));
            st.q2.reset(device, size_t(tokens * n2 * n2));
            st.h1.reset(device, size_t(tokens * d1 * d1));
            st.h2.reset(device, size_t(tokens * d2 * d2));
            // Each factor's logits are a column range of every row.
            copy_rows(device, st.p1.data(), size_t(k1), logits.data(), size_t(k), size_t(k1),
                      size_t(tokens));
            copy_rows(device, st.p2.data(), size_t(k2), logits.data() + k1, size_t(k), size_t(k2),
                      size_t(tokens));
            cayley_forward(int(d1), st.s, st.p1.view({tokens, k1}), st.q1.view({tokens, n1, n1}));
            cayley_forward(int(d2), st.s, st.p2.view({tokens, k2}), st.q2.view({tokens, n2, n2}));
            orthostochastic_forward(int(d1), st.s, st.q1.view({tokens, n1, n1}),
                                    st.h1.view({tokens, d1, d1}));
            orthostochastic_forward(int(d2), st.s, st.q2.view({tokens, n2, n2}),
                                    st.h2.view({tokens, d2, d2}));
            auto fn = pick(op, kernels::kronecker_forward_variants, 0, device);
            const TensorView h1 = st.h1.view({tokens, d1, d1}), h2 = st.h2.view({tokens, d2, d2});
            slices(d * d, [&](int64_t first, int64_t size) {
                HalideBufferSlice a(h1, first, size), b(h2, first, size), h(h_res, first, size);
                check_kernel(op, fn(&a.buffer, &b.buffer, &h.buffer));
            });
            break;
        }
    }
    st.logits = logits;
    st.tokens = tokens;
    st.device = device;
    st.forward_done = true;
}

void Mixer::backward(const TensorView &dh_res, const TensorView &dlogits) {
    State &st = *state_;
    const char *op = st.backward_op.c_str();
    if (!st.forward_done) {
        throw InvalidArgument(std::string(op) +
                              ": called before forward; backward uses the last forward's logits");
    }
    const int64_t tokens = st.tokens, d = st.d, k = st.logits_count;
    const Device device =
        check_args(op, {{"dh_res",
                         dh_res,
                         {tokens, d, d},
                         "[tokens][d][d] with the tokens of the last forward",
                         true},
                        {"dlogits", dlogits, {tokens, k}, "[tokens][residual logits]", false}});
    if (device != st.device) {
        throw InvalidArgument(std::string(op) + ": the tensors are in " +
                              (device == Device::cuda ? "CUDA" : "host") +
                              " memory but the last forward ran on the other device");
    }
    const TensorView &logits = *st.logits;
    const auto slices = [&](int64_t per_token, auto call) {
        for_token_slices(tokens, std::max<int64_t>(per_token, 1), call);
    };

    switch (st.method) {
        case Method::residual:
            break;
        case Method::hc:
            copy_rows(device, const_cast<float *>(dlogits.data()), size_t(tokens * k),
                      dh_res.data(), size_t(tokens * k), size_t(tokens * k), 1);
            break;
        case Method::mhc: {
            auto fn = pick(op, kernels::sinkhorn_backward_variants, st.d, device);
            const TensorView square = reshaped(logits, {tokens, d, d});
            const TensorView dsquare = reshaped(dlogits, {tokens, d, d});
            slices(d * d, [&](int64_t first, int64_t size) {
                HalideBufferSlice l(square, first, size), g(dh_res, first, size),
                    out(dsquare, first, size);
                check_kernel(op, fn(st.d, &l.buffer, &g.buffer, &out.buffer));
            });
            break;
        }
        case Method::mhc_lite: {
            auto fn = pick(op, kernels::permutation_mix_backward_variants, st.d, device);
            slices(std::max(k, d * d), [&](int64_t first, int64_t size) {
                HalideBufferSlice l(logits, first, size), g(dh_res, first, size),
                    out(dlogits, first, size);
                check_kernel(op,
                             fn(st.d, &st.permutations->buffer, &l.buffer, &g.buffer, &out.buffer));
            });
            break;
        }
        case Method::kromhc: {
            if (k == 0) {
                break;
            }
            auto fn = pick(op, kernels::kromhc_backward_variants, 0, device);
            slices(d * d, [&](int64_t first, int64_t size) {
                HalideBufferSlice l(logits, first, size), g(dh_res, first, size),
                    out(dlogits, first, size);
                check_kernel(op, fn(st.d, &l.buffer, &g.buffer, &out.buffer));
            });
            break;
        }
        case Method::go: {
            if (k == 0) {
                break;
            }
            const int64_t n = d * st.s;
            st.dq.reset(device, size_t(tokens * n * n));
            const TensorView q = st.q.view({tokens, n, n}), dq = st.dq.view({tokens, n, n});
            orthostochastic_backward(st.d, st.s, q, dh_res, dq);
            cayley_backward(st.d, st.s, q, dq, dlogits);
            break;
        }
        case Method::go_kron: {
            const int64_t d1 = st.factors.d1, d2 = st.factors.d2;
            const int64_t n1 = d1 * st.s, n2 = d2 * st.s;
            const int64_t k1 = n1 * (n1 - 1) / 2, k2 = n2 * (n2 - 1) / 2;
            st.dh1.reset(device, size_t(tokens * d1 * d1));
            st.dh2.reset(device, size_t(tokens * d2 * d2));
            st.dq1.reset(device, size_t(tokens * n1 * n1));
            st.dq2.reset(device, size_t(tokens * n2 * n2));
            st.dp1.reset(device, size_t(tokens * k1));
            st.dp2.reset(device, size_t(tokens * k2));
            auto fn = pick(op, kernels::kronecker_backward_variants, 0, device);
            const TensorView h1 = st.h1.view({tokens, d1, d1}), h2 = st.h2.view({tokens, d2, d2});
            const TensorView dh1 = st.dh1.view({tokens, d1, d1}),
                             dh2 = st.dh2.view({tokens, d2, d2});
            slices(d * d, [&](int64_t first, int64_t size) {
                HalideBufferSlice a(h1, first, size), b(h2, first, size), g(dh_res, first, size),
                    ga(dh1, first, size), gb(dh2, first, size);
                check_kernel(op, fn(&a.buffer, &b.buffer, &g.buffer, &ga.buffer, &gb.buffer));
            });
            const TensorView q1 = st.q1.view({tokens, n1, n1}), q2 = st.q2.view({tokens, n2, n2});
            const TensorView dq1 = st.dq1.view({tokens, n1, n1}),
                             dq2 = st.dq2.view({tokens, n2, n2});
            orthostochastic_backward(int(d1), st.s, q1, dh1, dq1);
            orthostochastic_backward(int(d2), st.s, q2, dh2, dq2);
            cayley_backward(int(d1), st.s, q1, dq1, st.dp1.view({tokens, k1}));
            cayley_backward(int(d2), st.s, q2, dq2, st.dp2.view({tokens, k2}));
            float *out = const_cast<float *>(dlogits.data());
            copy_rows(device, out, size_t(k), st.dp1.data(), size_t(k1), size_t(k1),
                      size_t(tokens));
            copy_rows(device, out + k1, size_t(k), st.dp2.data(), size_t(k2), size_t(k2),
                      size_t(tokens));
            break;
        }
    }
}

}  // namespace gomhc
