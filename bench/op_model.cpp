// gomhc_bench: The benchmarked ops: their tensors, the bytes and flops one call moves and
// computes, and their calls through the C++ API and the float64 reference.
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// The ops, their tensors, their traffic and their flops.

const char *op_name(Op op) {
    switch (op) {
        case Op::cayley_forward:
            return "cayley_forward";
        case Op::cayley_backward:
            return "cayley_backward";
        case Op::orthostochastic_forward:
            return "orthostochastic_forward";
        case Op::orthostochastic_backward:
            return "orthostochastic_backward";
        case Op::stream_read_forward:
            return "stream_read_forward";
        case Op::stream_read_backward:
            return "stream_read_backward";
        case Op::stream_write_forward:
            return "stream_write_forward";
        case Op::stream_write_backward:
            return "stream_write_backward";
        case Op::mixer_forward:
            return "cayley+projection_forward";
        case Op::layernorm_forward:
            return "layernorm_forward";
        case Op::layernorm_backward:
            return "layernorm_backward";
        case Op::gelu_forward:
            return "gelu_forward";
        case Op::gelu_backward:
            return "gelu_backward";
    }
    return "?";
}

bool is_row_op(Op op) {
    return op == Op::layernorm_forward || op == Op::layernorm_backward || op == Op::gelu_forward ||
           op == Op::gelu_backward;
}

bool is_stream_op(Op op) {
    return op == Op::stream_read_forward || op == Op::stream_read_backward ||
           op == Op::stream_write_forward || op == Op::stream_write_backward;
}

std::string shape_string(Op op, const Shape &sh, int64_t tokens) {
    if (is_row_op(op)) {
        return "T:" + std::to_string(tokens) + "/C:" + std::to_string(sh.c);
    }
    std::string out = "T:" + std::to_string(tokens) + "/d:" + std::to_string(sh.d);
    if (is_stream_op(op)) {
        out += "/C:" + std::to_string(sh.c);
    } else {
        out += "/s:" + std::to_string(sh.s);
    }
    return out;
}

std::vector<TensorSpec> tensor_specs(Op op, const Shape &sh, int64_t t) {
    const int64_t d = sh.d, n = int64_t(sh.d) * sh.s, p = n * (n - 1) / 2, c = sh.c;
    switch (op) {
        case Op::cayley_forward:
            return {{"params", {t, p}, false, 1}, {"q", {t, n, n}, true, 1}};
        case Op::cayley_backward:
            return {{"q", {t, n, n}, false, 1},
                    {"dq", {t, n, n}, false, 1},
                    {"dparams", {t, p}, true, 1}};
        case Op::orthostochastic_forward:
            return {{"q", {t, n, n}, false, 1}, {"h", {t, d, d}, true, 1}};
        case Op::orthostochastic_backward:
            return {{"q", {t, n, n}, false, 1},
                    {"dh", {t, d, d}, false, 1},
                    {"dq", {t, n, n}, true, 1}};
        case Op::stream_read_forward:
            return {
                {"x", {t, d, c}, false, 1}, {"h_pre", {t, d}, false, 1}, {"y", {t, c}, true, 1}};
        case Op::stream_read_backward:
            return {{"x", {t, d, c}, false, 1},
                    {"h_pre", {t, d}, false, 1},
                    {"dy", {t, c}, false, 1},
                    {"dx", {t, d, c}, true, 1},
                    {"dh_pre", {t, d}, true, 1}};
        case Op::stream_write_forward:
            return {{"x", {t, d, c}, false, 1},
                    {"h_res", {t, d, d}, false, 1},
                    {"h_post", {t, d}, false, 1},
                    {"f", {t, c}, false, 1},
                    {"x_next", {t, d, c}, true, 1}};
        case Op::stream_write_backward:
            return {{"x", {t, d, c}, false, 1},       {"h_res", {t, d, d}, false, 1},
                    {"h_post", {t, d}, false, 1},     {"f", {t, c}, false, 1},
                    {"dx_next", {t, d, c}, false, 1}, {"dx", {t, d, c}, true, 1},
                    {"dh_res", {t, d, d}, true, 1},   {"dh_post", {t, d}, true, 1},
                    {"df", {t, c}, true, 1}};
        case Op::mixer_forward:
            // q is written by the Cayley map and read back by the projection.
            return {
                {"params", {t, p}, false, 1}, {"q", {t, n, n}, true, 2}, {"h", {t, d, d}, true, 1}};
        case Op::layernorm_forward:
            return {{"x", {t, c}, false, 1}, {"gamma", {c}, false, 0}, {"beta", {c}, false, 0},
                    {"y", {t, c}, true, 1},  {"mean", {t}, true, 1},   {"rstd", {t}, true, 1}};
        case Op::layernorm_backward:
            return {{"dy", {t, c}, false, 1}, {"x", {t, c}, false, 1}, {"gamma", {c}, false, 0},
                    {"mean", {t}, false, 1},  {"rstd", {t}, false, 1}, {"dx", {t, c}, true, 1},
                    {"dgamma", {c}, true, 0}, {"dbeta", {c}, true, 0}};
        case Op::gelu_forward:
            return {{"x", {t, c}, false, 1}, {"y", {t, c}, true, 1}};
        case Op::gelu_backward:
            return {{"x", {t, c}, false, 1}, {"dy", {t, c}, false, 1}, {"dx", {t, c}, true, 1}};
    }
    return {};
}

int64_t element_count(const std::vector<int64_t> &shape) {
    int64_t count = 1;
    for (int64_t e : shape) {
        count *= e;
    }
    return count;
}

double bytes_per_token(Op op, const Shape &sh, double element_bytes) {
    double elements = 0;
    for (const TensorSpec &t : tensor_specs(op, sh, 1)) {
        elements += double(t.traffic) * double(element_count(t.shape));
    }
    return elements * element_bytes;
}

double cayley_forward_flops(double n) {
    constexpr double kRefinementSteps = 1;  // the generator's default
    const double solve = n * n * n + n * n * (n - 1) + n * n + n;
    return solve + kRefinementSteps * (3 * n * n * n + 3 * n * n);
}

double cayley_backward_flops(double n) { return 4 * n * n * n + 2 * n * n + n * (n - 1); }

double flops_per_token(Op op, const Shape &sh) {
    const double d = sh.d, s = sh.s, n = d * s, c = double(sh.c);
    switch (op) {
        case Op::cayley_forward:
            return cayley_forward_flops(n);
        case Op::cayley_backward:
            return cayley_backward_flops(n);
        case Op::orthostochastic_forward:
            return 2 * n * n + d * d;
        case Op::orthostochastic_backward:
            return 2 * n * n;
        case Op::stream_read_forward:
            return 2 * d * c;
        case Op::stream_read_backward:
            return 3 * d * c;
        case Op::stream_write_forward:
            return 2 * d * d * c + 2 * d * c;
        case Op::stream_write_backward:
            return 4 * d * d * c + 4 * d * c;
        case Op::mixer_forward:
            return cayley_forward_flops(n) + 2 * n * n + d * d;
        case Op::layernorm_forward:
            return 8 * c;
        case Op::layernorm_backward:
            return 21 * c;
        case Op::gelu_forward:
            return 9 * c;
        case Op::gelu_backward:
            return 19 * c;
    }
    return 0;
}

void run_kernel(Op op, const Shape &sh, const std::vector<gomhc::TensorView> &v) {
    const int d = sh.d, s = sh.s;
    switch (op) {
        case Op::cayley_forward:
            gomhc::cayley_forward(d, s, v[0], v[1]);
            break;
        case Op::cayley_backward:
            gomhc::cayley_backward(d, s, v[0], v[1], v[2]);
            break;
        case Op::orthostochastic_forward:
            gomhc::orthostochastic_forward(d, s, v[0], v[1]);
            break;
        case Op::orthostochastic_backward:
            gomhc::orthostochastic_backward(d, s, v[0], v[1], v[2]);
            break;
        case Op::stream_read_forward:
            gomhc::stream_read_forward(v[0], v[1], v[2]);
            break;
        case Op::stream_read_backward:
            gomhc::stream_read_backward(v[0], v[1], v[2], v[3], v[4]);
            break;
        case Op::stream_write_forward:
            gomhc::stream_write_forward(v[0], v[1], v[2], v[3], v[4]);
            break;
        case Op::stream_write_backward:
            gomhc::stream_write_backward(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
            break;
        case Op::mixer_forward:
            gomhc::cayley_forward(d, s, v[0], v[1]);
            gomhc::orthostochastic_forward(d, s, v[1], v[2]);
            break;
        case Op::layernorm_forward:
            gomhc::layernorm_forward(v[0], v[1], v[2], v[3], v[4], v[5]);
            break;
        case Op::layernorm_backward:
            gomhc::layernorm_backward(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
            break;
        case Op::gelu_forward:
            gomhc::gelu_forward(v[0], v[1]);
            break;
        case Op::gelu_backward:
            gomhc::gelu_backward(v[0], v[1], v[2]);
            break;
    }
}

void run_reference(Op op, const Shape &sh, int64_t t, const std::vector<ref::Vec> &in) {
    const int d = sh.d, s = sh.s, n = sh.d * sh.s;
    const int64_t c = sh.c;
    switch (op) {
        case Op::cayley_forward:
            benchmark::DoNotOptimize(ref::cayley_forward(t, n, in[0]).data());
            break;
        case Op::cayley_backward:
            benchmark::DoNotOptimize(ref::cayley_backward(t, n, in[0], in[1]).data());
            break;
        case Op::orthostochastic_forward:
            benchmark::DoNotOptimize(ref::orthostochastic_forward(t, d, s, in[0]).data());
            break;
        case Op::orthostochastic_backward:
            benchmark::DoNotOptimize(ref::orthostochastic_backward(t, d, s, in[0], in[1]).data());
            break;
        case Op::stream_read_forward:
            benchmark::DoNotOptimize(ref::stream_read_forward(t, d, c, in[0], in[1]).data());
            break;
        case Op::stream_read_backward: {
            auto g = ref::stream_read_backward(t, d, c, in[0], in[1], in[2]);
            benchmark::DoNotOptimize(g.dx.data());
            benchmark::DoNotOptimize(g.dh_pre.data());
            break;
        }
        case Op::stream_write_forward:
            benchmark::DoNotOptimize(
                ref::stream_write_forward(t, d, c, in[0], in[1], in[2], in[3]).data());
            break;
        case Op::stream_write_backward: {
            auto g = ref::stream_write_backward(t, d, c, in[0], in[1], in[2], in[3], in[4]);
            benchmark::DoNotOptimize(g.dx.data());
            benchmark::DoNotOptimize(g.df.data());
            break;
        }
        case Op::mixer_forward: {
            const ref::Vec q = ref::cayley_forward(t, n, in[0]);
            benchmark::DoNotOptimize(ref::orthostochastic_forward(t, d, s, q).data());
            break;
        }
        case Op::layernorm_forward:
            benchmark::DoNotOptimize(ref::layernorm_forward(t, c, in[0], in[1], in[2]).y.data());
            break;
        case Op::layernorm_backward:
            benchmark::DoNotOptimize(ref::layernorm_backward(t, c, in[0], in[1], in[2]).dx.data());
            break;
        case Op::gelu_forward:
            benchmark::DoNotOptimize(ref::gelu_forward(in[0]).data());
            break;
        case Op::gelu_backward:
            benchmark::DoNotOptimize(ref::gelu_backward(in[0], in[1]).data());
            break;
    }
    benchmark::ClobberMemory();
}

}  // namespace gomhc_bench
