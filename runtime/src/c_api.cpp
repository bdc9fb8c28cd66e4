// The C API: checks every argument before touching memory, then calls the
// C++ API and turns exceptions into status codes plus gomhc_last_error().
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gomhc.h"
#include "gomhc/gomhc.hpp"
#include "gomhc/ops.hpp"
#include "layer_registry.h"
#include "op_support.h"

namespace {

thread_local std::string last_error;

struct InvalidArgument {
    std::string message;
};

void require(bool ok, const char *function, const std::string &what) {
    if (!ok) {
        throw InvalidArgument{std::string(function) + ": " + what};
    }
}

void require_pointer(const void *pointer, const char *function, const char *name) {
    require(pointer != nullptr, function, std::string("'") + name + "' is a null pointer");
}

// The most floats one tensor can hold: more cannot be a caller's buffer and
// would overflow the index arithmetic.
constexpr int64_t kMaxFloats = PTRDIFF_MAX / int64_t(sizeof(float));

void require_addressable(const char *function, int64_t tokens, int64_t per_token) {
    require(per_token <= kMaxFloats && tokens <= kMaxFloats / per_token, function,
            "tokens = " + std::to_string(tokens) + " of " + std::to_string(per_token) +
                " floats each is more than memory can hold");
}

void require_sizes(const char *function, int64_t tokens, int64_t d, int64_t s, int64_t c) {
    require(tokens >= 1, function, "tokens = " + std::to_string(tokens) + ", expected >= 1");
    require(d >= 1, function, "d = " + std::to_string(d) + ", expected >= 1");
    require(s >= 1, function, "s = " + std::to_string(s) + ", expected >= 1");
    require(c >= 1, function, "c = " + std::to_string(c) + ", expected >= 1");
    require(d * s <= gomhc::kMaxN, function,
            "n = d*s = " + std::to_string(d * s) + ", expected <= " + std::to_string(gomhc::kMaxN));
    require(c <= kMaxFloats / d, function, "c = " + std::to_string(c) + " is too large");
    require_addressable(function, tokens, std::max({d * s * d * s, d * c, d * d}));
}

template<typename Body>
int guarded(Body body) {
    try {
        body();
        last_error.clear();
        return GOMHC_OK;
    } catch (const InvalidArgument &e) {
        last_error = e.message;
        return GOMHC_INVALID_ARGUMENT;
    } catch (const gomhc::InvalidArgument &e) {
        last_error = e.what();
        return GOMHC_INVALID_ARGUMENT;
    } catch (const gomhc::KernelError &e) {
        last_error = e.what();
        return GOMHC_KERNEL_FAILED;
    } catch (const gomhc::Error &e) {
        last_error = e.what();
        return GOMHC_UNSUPPORTED;
    } catch (const std::bad_alloc &) {
        last_error = "out of memory";
        return GOMHC_INTERNAL_ERROR;
    } catch (const std::exception &e) {
        last_error = e.what();
        return GOMHC_INTERNAL_ERROR;
    }
}

using gomhc::TensorView;

// The device whose memory this thread's pointers to the core ops are in.
thread_local gomhc::Device thread_device = gomhc::Device::host;

gomhc::Device device_of(int device, const char *function) {
    switch (device) {
        case GOMHC_DEVICE_HOST:
            return gomhc::Device::host;
        case GOMHC_DEVICE_CUDA:
            return gomhc::Device::cuda;
        case GOMHC_DEVICE_OPENCL:
            return gomhc::Device::opencl;
    }
    throw InvalidArgument{std::string(function) + ": device = " + std::to_string(device) +
                          ", expected GOMHC_DEVICE_HOST (0), GOMHC_DEVICE_CUDA (1) or "
                          "GOMHC_DEVICE_OPENCL (2)"};
}

int device_code(gomhc::Device device) {
    switch (device) {
        case gomhc::Device::cuda:
            return GOMHC_DEVICE_CUDA;
        case gomhc::Device::opencl:
            return GOMHC_DEVICE_OPENCL;
        case gomhc::Device::host:
            break;
    }
    return GOMHC_DEVICE_HOST;
}

template<typename T>
TensorView device_view(T *data, const gomhc::Shape &shape) {
    return gomhc::detail::view_on(thread_device, data, shape);
}

}  // namespace

extern "C" {

int gomhc_cayley_forward(int64_t tokens, int d, int s, const float *params, float *q) {
    return guarded([&] {
        const char *fn = "gomhc_cayley_forward";
        require_sizes(fn, tokens, d, s, 1);
        require_pointer(params, fn, "params");
        require_pointer(q, fn, "q");
        const int64_t n = int64_t(d) * s;
        gomhc::cayley_forward(d, s, device_view(params, {tokens, n * (n - 1) / 2}),
                              device_view(q, {tokens, n, n}));
    });
}

int gomhc_cayley_backward(int64_t tokens, int d, int s, const float *q, const float *dq,
                          float *dparams) {
    return guarded([&] {
        const char *fn = "gomhc_cayley_backward";
        require_sizes(fn, tokens, d, s, 1);
        require_pointer(q, fn, "q");
        require_pointer(dq, fn, "dq");
        require_pointer(dparams, fn, "dparams");
        const int64_t n = int64_t(d) * s;
        gomhc::cayley_backward(d, s, device_view(q, {tokens, n, n}),
                               device_view(dq, {tokens, n, n}),
                               device_view(dparams, {tokens, n * (n - 1) / 2}));
    });
}

int gomhc_orthostochastic_forward(int64_t tokens, int d, int s, const float *q, float *h) {
    return guarded([&] {
        const char *fn = "gomhc_orthostochastic_forward";
        require_sizes(fn, tokens, d, s, 1);
        require_pointer(q, fn, "q");
        require_pointer(h, fn, "h");
        const int64_t n = int64_t(d) * s;
        gomhc::orthostochastic_forward(d, s, device_view(q, {tokens, n, n}),
                                       device_view(h, {tokens, d, d}));
    });
}

int gomhc_orthostochastic_backward(int64_t tokens, int d, int s, const float *q, const float *dh,
                                   float *dq) {
    return guarded([&] {
        const char *fn = "gomhc_orthostochastic_backward";
        require_sizes(fn, tokens, d, s, 1);
        require_pointer(q, fn, "q");
        require_pointer(dh, fn, "dh");
        require_pointer(dq, fn, "dq");
        const int64_t n = int64_t(d) * s;
        gomhc::orthostochastic_backward(d, s, device_view(q, {tokens, n, n}),
                                        device_view(dh, {tokens, d, d}),
                                        device_view(dq, {tokens, n, n}));
    });
}

int gomhc_stream_read_forward(int64_t tokens, int d, int64_t c, const float *x, const float *h_pre,
                              float *y) {
    return guarded([&] {
        const char *fn = "gomhc_stream_read_forward";
        require_sizes(fn, tokens, d, 1, c);
        require_pointer(x, fn, "x");
        require_pointer(h_pre, fn, "h_pre");
        require_pointer(y, fn, "y");
        gomhc::stream_read_forward(device_view(x, {tokens, d, c}), device_view(h_pre, {tokens, d}),
                                   device_view(y, {tokens, c}));
    });
}

int gomhc_stream_read_backward(int64_t tokens, int d, int64_t c, const float *x, const float *h_pre,
                               const float *dy, float *dx, float *dh_pre) {
    return guarded([&] {
        const char *fn = "gomhc_stream_read_backward";
        require_sizes(fn, tokens, d, 1, c);
        require_pointer(x, fn, "x");
        require_pointer(h_pre, fn, "h_pre");
        require_pointer(dy, fn, "dy");
        require_pointer(dx, fn, "dx");
        require_pointer(dh_pre, fn, "dh_pre");
        gomhc::stream_read_backward(device_view(x, {tokens, d, c}), device_view(h_pre, {tokens, d}),
                                    device_view(dy, {tokens, c}), device_view(dx, {tokens, d, c}),
                                    device_view(dh_pre, {tokens, d}));
    });
}

int gomhc_stream_write_forward(int64_t tokens, int d, int64_t c, const float *x, const float *h_res,
                               const float *h_post, const float *f, float *x_next) {
    return guarded([&] {
        const char *fn = "gomhc_stream_write_forward";
        require_sizes(fn, tokens, d, 1, c);
        require_pointer(x, fn, "x");
        require_pointer(h_res, fn, "h_res");
        require_pointer(h_post, fn, "h_post");
        require_pointer(f, fn, "f");
        require_pointer(x_next, fn, "x_next");
        gomhc::stream_write_forward(device_view(x, {tokens, d, c}),
                                    device_view(h_res, {tokens, d, d}),
                                    device_view(h_post, {tokens, d}), device_view(f, {tokens, c}),
                                    device_view(x_next, {tokens, d, c}));
    });
}

int gomhc_stream_write_backward(int64_t tokens, int d, int64_t c, const float *x,
                                const float *h_res, const float *h_post, const float *f,
                                const float *dx_next, float *dx, float *dh_res, float *dh_post,
                                float *df) {
    return guarded([&] {
        const char *fn = "gomhc_stream_write_backward";
        require_sizes(fn, tokens, d, 1, c);
        require_pointer(x, fn, "x");
        require_pointer(h_res, fn, "h_res");
        require_pointer(h_post, fn, "h_post");
        require_pointer(f, fn, "f");
        require_pointer(dx_next, fn, "dx_next");
        require_pointer(dx, fn, "dx");
        require_pointer(dh_res, fn, "dh_res");
        require_pointer(dh_post, fn, "dh_post");
        require_pointer(df, fn, "df");
        gomhc::stream_write_backward(
            device_view(x, {tokens, d, c}), device_view(h_res, {tokens, d, d}),
            device_view(h_post, {tokens, d}), device_view(f, {tokens, c}),
            device_view(dx_next, {tokens, d, c}), device_view(dx, {tokens, d, c}),
            device_view(dh_res, {tokens, d, d}), device_view(dh_post, {tokens, d}),
            device_view(df, {tokens, c}));
    });
}

int gomhc_op_count(void) { return int(gomhc::op_catalog().size()); }

const char *gomhc_op_name(int index) {
    const std::vector<const gomhc::OpInfo *> ops = gomhc::op_catalog();
    return index >= 0 && index < int(ops.size()) ? ops[size_t(index)]->name : nullptr;
}

int gomhc_op_sizes(const char *op, const char **names, int capacity, int *count,
                   const char **forward_of) {
    return guarded([&] {
        const char *fn = "gomhc_op_sizes";
        require_pointer(op, fn, "op");
        require_pointer(count, fn, "count");
        const gomhc::OpInfo &info = gomhc::op_info(op);
        const int n = int(info.sizes.size());
        require(names != nullptr || capacity == 0, fn, "'names' is a null pointer");
        require(capacity >= n, fn,
                "capacity = " + std::to_string(capacity) + ", the op has " + std::to_string(n) +
                    " sizes");
        std::copy(info.sizes.begin(), info.sizes.end(), names);
        *count = n;
        if (forward_of) {
            *forward_of = info.forward_of;
        }
    });
}

int gomhc_op_tensors(const char *op, const double *sizes, int size_count, gomhc_op_tensor *out,
                     int capacity, int *count) {
    return guarded([&] {
        const char *fn = "gomhc_op_tensors";
        require_pointer(op, fn, "op");
        require_pointer(count, fn, "count");
        require(size_count >= 0 && (sizes != nullptr || size_count == 0), fn,
                "'sizes' is a null pointer");
        const gomhc::OpInfo &info = gomhc::op_info(op);
        require(size_count == int(info.sizes.size()), fn,
                std::to_string(size_count) + " sizes given, the op takes " +
                    std::to_string(info.sizes.size()));
        const std::vector<gomhc::OpTensor> tensors =
            info.tensors(std::vector<double>(sizes, sizes + size_count));
        require(out != nullptr || capacity == 0, fn, "'out' is a null pointer");
        require(capacity >= int(tensors.size()), fn,
                "capacity = " + std::to_string(capacity) + ", the op has " +
                    std::to_string(tensors.size()) + " tensors");
        for (size_t i = 0; i < tensors.size(); i++) {
            const gomhc::OpTensor &t = tensors[i];
            gomhc_op_tensor &o = out[i];
            o = gomhc_op_tensor{};
            o.name = t.name;
            o.rank = int(t.shape.size());
            std::copy(t.shape.begin(), t.shape.end(), o.shape);
            o.output = t.output;
            o.adds = t.adds;
            o.ids_below = t.ids_below;
        }
        *count = int(tensors.size());
    });
}

int gomhc_op_run(const char *op, const double *sizes, int size_count, void *const *tensors,
                 int tensor_count) {
    return guarded([&] {
        const char *fn = "gomhc_op_run";
        require_pointer(op, fn, "op");
        require(size_count >= 0 && (sizes != nullptr || size_count == 0), fn,
                "'sizes' is a null pointer");
        require(tensor_count >= 0 && (tensors != nullptr || tensor_count == 0), fn,
                "'tensors' is a null pointer");
        gomhc::run_op(op, std::vector<double>(sizes, sizes + size_count),
                      std::vector<void *>(tensors, tensors + tensor_count), thread_device);
    });
}

int gomhc_op_examples(const char *op, double *sizes, int capacity, int *count) {
    return guarded([&] {
        const char *fn = "gomhc_op_examples";
        require_pointer(op, fn, "op");
        require_pointer(count, fn, "count");
        const gomhc::OpInfo &info = gomhc::op_info(op);
        const int needed = int(info.examples.size() * info.sizes.size());
        require(sizes != nullptr || capacity == 0, fn, "'sizes' is a null pointer");
        require(capacity >= needed, fn,
                "capacity = " + std::to_string(capacity) + ", the op's examples take " +
                    std::to_string(needed));
        for (const std::vector<double> &example : info.examples) {
            sizes = std::copy(example.begin(), example.end(), sizes);
        }
        *count = int(info.examples.size());
    });
}

const char *gomhc_last_error(void) { return last_error.c_str(); }

int gomhc_set_num_threads(int threads) {
    return guarded([&] { gomhc::set_num_threads(threads); });
}

int gomhc_num_threads(void) { return gomhc::num_threads(); }

void gomhc_set_check_finite(int enabled) { gomhc::set_check_finite(enabled != 0); }

int gomhc_set_device(int device) {
    return guarded([&] { thread_device = device_of(device, "gomhc_set_device"); });
}

int gomhc_device(void) { return device_code(thread_device); }

int gomhc_cuda_available(void) {
    if (gomhc::cuda_available()) {
        last_error.clear();
        return 1;
    }
    last_error = gomhc::cuda_unavailable_reason();
    return 0;
}

int gomhc_set_cuda_stream(void *cu_context, void *cu_stream) {
    return guarded([&] { gomhc::set_cuda_context(cu_context, cu_stream); });
}

int gomhc_cuda_synchronize(void) {
    return guarded([&] { gomhc::cuda_synchronize(); });
}

int gomhc_opencl_available(void) {
    if (gomhc::opencl_available()) {
        last_error.clear();
        return 1;
    }
    last_error = gomhc::opencl_unavailable_reason();
    return 0;
}

int gomhc_set_opencl_queue(void *cl_context, void *cl_command_queue) {
    return guarded([&] {
        require((cl_context == nullptr) == (cl_command_queue == nullptr), "gomhc_set_opencl_queue",
                "give both the context and the queue, or neither");
        gomhc::set_opencl_queue(cl_context, cl_command_queue);
    });
}

int gomhc_opencl_synchronize(void) {
    return guarded([&] { gomhc::opencl_synchronize(); });
}

int gomhc_cuda_malloc(size_t count, float **out) {
    return guarded([&] {
        require_pointer(out, "gomhc_cuda_malloc", "out");
        *out = nullptr;
        *out = gomhc::cuda_malloc(count);
    });
}

int gomhc_cuda_free(float *device_data) {
    return guarded([&] { gomhc::cuda_free(device_data); });
}

int gomhc_cuda_upload(float *device_data, const float *host_data, size_t count) {
    return guarded([&] {
        require_pointer(device_data, "gomhc_cuda_upload", "device_data");
        require_pointer(host_data, "gomhc_cuda_upload", "host_data");
        gomhc::cuda_upload(device_data, host_data, count);
    });
}

int gomhc_cuda_download(float *host_data, const float *device_data, size_t count) {
    return guarded([&] {
        require_pointer(host_data, "gomhc_cuda_download", "host_data");
        require_pointer(device_data, "gomhc_cuda_download", "device_data");
        gomhc::cuda_download(host_data, device_data, count);
    });
}

}  // extern "C"

struct gomhc_layer {
    gomhc::HyperConnection layer;
    std::vector<gomhc::HyperConnection::ParamSlice> slices;
};

namespace {

void require_layer(const gomhc_layer *layer, const char *function) {
    require(layer != nullptr, function, "'layer' is a null pointer");
    require(gomhc::detail::layer_registry().live(layer), function,
            "'layer' is not a live layer (destroyed, or not made by gomhc_layer_create)");
}

// One call on a layer: refuses a pointer that is not a live layer and a
// layer in a call on another thread (a layer takes one call at a time), and
// ends the claim however the call ends.
class LayerCall {
public:
    LayerCall(gomhc_layer *layer, const char *function) : layer_(layer) {
        require(layer != nullptr, function, "'layer' is a null pointer");
        using Claim = gomhc::detail::LayerRegistry::Claim;
        const Claim claim = gomhc::detail::layer_registry().claim(layer);
        require(claim != Claim::not_live, function,
                "'layer' is not a live layer (destroyed, or not made by gomhc_layer_create)");
        require(claim != Claim::busy, function,
                "the layer is in a call on another thread (a layer takes one call at a time: "
                "give each thread its own layer, or serialize the calls)");
    }
    ~LayerCall() {
        if (gomhc::detail::layer_registry().release(layer_)) {
            delete layer_;  // destroyed by another thread during this call
        }
    }
    LayerCall(const LayerCall &) = delete;
    LayerCall &operator=(const LayerCall &) = delete;

private:
    gomhc_layer *layer_;
};

// The layer when it is live, else null (for the calls without a status).
template<typename Layer>
Layer *live_or_null(Layer *layer) {
    return layer && gomhc::detail::layer_registry().live(layer) ? layer : nullptr;
}

void require_tokens(const char *function, int64_t tokens, const gomhc_layer *layer) {
    require(tokens >= 1, function, "tokens = " + std::to_string(tokens) + ", expected >= 1");
    require_addressable(function, tokens, layer->layer.d() * layer->layer.c());
}

// A view of the caller's pointer in the layer's memory (host or CUDA).
template<typename T>
TensorView layer_view(const gomhc::HyperConnection &layer, T *data, const gomhc::Shape &shape) {
    return gomhc::detail::view_on(layer.device(), data, shape);
}

}  // namespace

extern "C" {

int gomhc_layer_create_at(const char *method, int d, int s, int64_t c, uint64_t seed, int device,
                          int64_t index, int symmetric, gomhc_layer **out) {
    return guarded([&] {
        const char *fn = "gomhc_layer_create";
        require_pointer(out, fn, "out");
        *out = nullptr;
        require_pointer(method, fn, "method");
        gomhc::Method m;
        try {
            m = gomhc::parse_method(method);
            gomhc::check_method_shape(m, d, s);
        } catch (const gomhc::Error &e) {
            throw InvalidArgument{std::string(fn) + ": " + e.what()};
        }
        require(c >= 1, fn, "c = " + std::to_string(c) + ", expected >= 1");
        require(c <= kMaxFloats / std::max(d, 1), fn, "c = " + std::to_string(c) + " is too large");
        require(index >= 0, fn, "index = " + std::to_string(index) + ", expected >= 0");
        require(symmetric == 0 || symmetric == 1, fn,
                "symmetric = " + std::to_string(symmetric) + ", expected 0 or 1");
        const gomhc::Device on = device_of(device, fn);
        gomhc::HyperConnection layer(m, d, s, c, seed, on, {index, symmetric == 1});
        auto slices = layer.param_layout();
        std::unique_ptr<gomhc_layer> made(new gomhc_layer{std::move(layer), std::move(slices)});
        gomhc::detail::layer_registry().add(made.get());
        *out = made.release();
    });
}

int gomhc_layer_create_on(const char *method, int d, int s, int64_t c, uint64_t seed, int device,
                          gomhc_layer **out) {
    return gomhc_layer_create_at(method, d, s, c, seed, device, 0, 0, out);
}

int gomhc_layer_create(const char *method, int d, int s, int64_t c, uint64_t seed,
                       gomhc_layer **out) {
    return gomhc_layer_create_on(method, d, s, c, seed, GOMHC_DEVICE_HOST, out);
}

void gomhc_layer_destroy(gomhc_layer *layer) {
    if (layer && gomhc::detail::layer_registry().remove(layer)) {
        delete layer;
    }
}

int gomhc_layer_device(const gomhc_layer *layer) {
    layer = live_or_null(layer);
    if (layer == nullptr) {
        return -1;
    }
    return device_code(layer->layer.device());
}

int64_t gomhc_layer_num_params(const gomhc_layer *layer) {
    layer = live_or_null(layer);
    return layer ? const_cast<gomhc_layer *>(layer)->layer.num_params() : -1;
}

float *gomhc_layer_params(gomhc_layer *layer) {
    layer = live_or_null(layer);
    return layer ? layer->layer.params() : nullptr;
}

float *gomhc_layer_grads(gomhc_layer *layer) {
    layer = live_or_null(layer);
    return layer ? layer->layer.grads() : nullptr;
}

int gomhc_layer_zero_grads(gomhc_layer *layer) {
    return guarded([&] {
        LayerCall call(layer, "gomhc_layer_zero_grads");
        layer->layer.zero_grads();
    });
}

int gomhc_layer_param_slice_count(const gomhc_layer *layer) {
    layer = live_or_null(layer);
    return layer ? int(layer->slices.size()) : -1;
}

int gomhc_layer_param_slice(const gomhc_layer *layer, int index, gomhc_param_slice *out) {
    return guarded([&] {
        const char *fn = "gomhc_layer_param_slice";
        require_layer(layer, fn);
        require_pointer(out, fn, "out");
        const int count = int(layer->slices.size());
        require(index >= 0 && index < count, fn,
                "index = " + std::to_string(index) + ", expected 0 <= index < " +
                    std::to_string(count));
        const auto &slice = layer->slices[size_t(index)];
        out->name = slice.name.c_str();
        out->offset = slice.offset;
        out->rank = int(slice.shape.size());
        out->shape[0] = slice.shape[0];
        out->shape[1] = slice.shape.size() > 1 ? slice.shape[1] : 1;
    });
}

int gomhc_layer_bind(gomhc_layer *layer, float *params, float *grads) {
    return guarded([&] {
        LayerCall call(layer, "gomhc_layer_bind");
        layer->layer.bind(params, grads);
    });
}

int gomhc_layer_pre(gomhc_layer *layer, int64_t tokens, const float *x, float *y) {
    return guarded([&] {
        const char *fn = "gomhc_layer_pre";
        LayerCall call(layer, fn);
        require_tokens(fn, tokens, layer);
        require_pointer(x, fn, "x");
        require_pointer(y, fn, "y");
        auto &l = layer->layer;
        l.pre(layer_view(l, x, {tokens, l.d(), l.c()}), layer_view(l, y, {tokens, l.c()}));
    });
}

int gomhc_layer_post(gomhc_layer *layer, int64_t tokens, const float *x, const float *f,
                     float *x_next) {
    return guarded([&] {
        const char *fn = "gomhc_layer_post";
        LayerCall call(layer, fn);
        require_tokens(fn, tokens, layer);
        require_pointer(x, fn, "x");
        require_pointer(f, fn, "f");
        require_pointer(x_next, fn, "x_next");
        auto &l = layer->layer;
        l.post(layer_view(l, x, {tokens, l.d(), l.c()}), layer_view(l, f, {tokens, l.c()}),
               layer_view(l, x_next, {tokens, l.d(), l.c()}));
    });
}

int gomhc_layer_post_backward(gomhc_layer *layer, int64_t tokens, const float *dx_next, float *dx,
                              float *df) {
    return guarded([&] {
        const char *fn = "gomhc_layer_post_backward";
        LayerCall call(layer, fn);
        require_tokens(fn, tokens, layer);
        require_pointer(dx_next, fn, "dx_next");
        require_pointer(dx, fn, "dx");
        require_pointer(df, fn, "df");
        auto &l = layer->layer;
        l.post_backward(layer_view(l, dx_next, {tokens, l.d(), l.c()}),
                        layer_view(l, dx, {tokens, l.d(), l.c()}),
                        layer_view(l, df, {tokens, l.c()}));
    });
}

int gomhc_layer_pre_backward(gomhc_layer *layer, int64_t tokens, const float *dy, float *dx) {
    return guarded([&] {
        const char *fn = "gomhc_layer_pre_backward";
        LayerCall call(layer, fn);
        require_tokens(fn, tokens, layer);
        require_pointer(dy, fn, "dy");
        require_pointer(dx, fn, "dx");
        auto &l = layer->layer;
        l.pre_backward(layer_view(l, dy, {tokens, l.c()}),
                       layer_view(l, dx, {tokens, l.d(), l.c()}));
    });
}

}  // extern "C"
