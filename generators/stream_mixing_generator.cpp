// Stream mixing, the part of a hyper-connection that touches the residual
// streams themselves (docs/math.md sections 1 and 2.2), forward and backward.
//
// Read:   y[c]       = sum_j H_pre[j] X[j][c]
// Write:  X_next[i][c] = sum_j H_res[i][j] X[j][c] + H_post[i] f[c]
// Backward of the read side:
//   dX[j][c] = H_pre[j] dy[c],        dH_pre[j] = sum_c dy[c] X[j][c]
// Backward of the write side:
//   dX[j][c] = sum_i H_res[i][j] dout[i][c],  dH_res[i][j] = sum_c dout[i][c] X[j][c],
//   dH_post[i] = sum_c dout[i][c] f[c],       df[c] = sum_i H_post[i] dout[i][c]
//
// d is fixed at generation time when > 0 (so loops over streams unroll);
// the generic kernel (d = 0) reads it from X's shape. C is always a run-time
// size. The sum of the streams is the read with every weight alike
// (stream_read.h).
#include "common.h"
#include "schedules/stream_mixing_cpu.h"
#include "schedules/stream_mixing_gpu.h"
#include "stream_read.h"

namespace gomhc {
namespace {

// Declares X's layout [T][d][C] dense, with d fixed when asked.
inline void constrain_streams(const GeneratorInput<Buffer<float>> &x, int d_fixed) {
    if (d_fixed > 0) {
        x.dim(1).set_bounds(0, d_fixed);
    }
    x.dim(1).set_stride(x.dim(0).extent());
    x.dim(2).set_stride(x.dim(0).extent() * x.dim(1).extent());
}

// Shape estimates for the autoschedulers (the benchmark shapes), by layout.
inline int estimate_streams(int d_fixed) { return d_fixed > 0 ? d_fixed : kEstimateStreams; }
inline Region rows_per_stream(int d) {  // [T][d][C]
    return {{0, kEstimateFeatures}, {0, d}, {0, kEstimateTokens}};
}
inline Region row_per_token() { return {{0, kEstimateFeatures}, {0, kEstimateTokens}}; }  // [T][C]
inline Region per_stream(int d) { return {{0, d}, {0, kEstimateTokens}}; }                // [T][d]
inline Region stream_matrix(int d) { return {{0, d}, {0, d}, {0, kEstimateTokens}}; }  // [T][d][d]

// Fixes the stream dimensions `dims` of another buffer to d, so loops over
// them have constant trip counts (and can unroll).
template<typename Buffer>
void fix_streams(const Buffer &b, std::initializer_list<int> dims, int d_fixed) {
    if (d_fixed > 0) {
        for (int dim : dims) {
            b.dim(dim).set_bounds(0, d_fixed);
        }
    }
}

class StreamReadForward : public GomhcGenerator<StreamReadForward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<Buffer<float>> x{"x", 3};          // (c, stream, token)
    Input<Buffer<float>> h_pre{"h_pre", 2};  // (stream, token)
    Output<Buffer<float>> y{"y", 2};         // (c, token)

    void generate() {
        Var t("t"), c("c");
        RDom streams(0, x.dim(1).extent(), "streams");
        Func y_sum("y_sum");
        define_stream_read(y_sum, h_pre, x, streams, c, t);
        y(c, t) = y_sum(c, t);
        constrain_streams(x, d_fixed);
        fix_streams(h_pre, {0}, d_fixed);
        const int d_est = estimate_streams(d_fixed);
        x.set_estimates(rows_per_stream(d_est));
        h_pre.set_estimates(per_stream(d_est));
        y.set_estimates(row_per_token());
        stages = StreamReadForwardStages{y, y_sum, streams, t, c, d_fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_read_forward_gpu(stages, knobs());
        } else {
            schedule_stream_read_forward_cpu(stages, knobs());
        }
    }

private:
    StreamReadForwardStages stages;
};

class StreamReadBackward : public GomhcGenerator<StreamReadBackward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<Buffer<float>> x{"x", 3};
    Input<Buffer<float>> h_pre{"h_pre", 2};
    Input<Buffer<float>> dy{"dy", 2};           // (c, token)
    Output<Buffer<float>> dx{"dx", 3};          // (c, stream, token)
    Output<Buffer<float>> dh_pre{"dh_pre", 2};  // (stream, token)

    void generate() {
        Var t("t"), c("c"), j("j");
        dx(c, j, t) = stream_read_input_gradient(h_pre, dy, c, j, t);

        RDom features(0, x.dim(0).extent(), "features");
        Func dh_pre_sum("dh_pre_sum");
        define_stream_read_weight_gradient(dh_pre_sum, x, dy, features, j, t);
        dh_pre(j, t) = dh_pre_sum(j, t);

        constrain_streams(x, d_fixed);
        fix_streams(h_pre, {0}, d_fixed);
        fix_streams(dx, {1}, d_fixed);
        fix_streams(dh_pre, {0}, d_fixed);
        const int d_est = estimate_streams(d_fixed);
        x.set_estimates(rows_per_stream(d_est));
        h_pre.set_estimates(per_stream(d_est));
        dy.set_estimates(row_per_token());
        dx.set_estimates(rows_per_stream(d_est));
        dh_pre.set_estimates(per_stream(d_est));
        stages = StreamReadBackwardStages{dx, dh_pre, dh_pre_sum, features, t, c, j, d_fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_read_backward_gpu(stages, knobs());
        } else {
            schedule_stream_read_backward_cpu(stages, knobs());
        }
    }

private:
    StreamReadBackwardStages stages;
};

// The sum of the streams, y[c] = scale * sum_j X[j][c]: the stream read with
// every weight `scale` (a model's output head reduces its d streams to one:
// summed, or averaged with scale 1/d), and its backward, which hands
// scale * dy to every stream. It is scheduled as the read is.
class StreamSumForward : public GomhcGenerator<StreamSumForward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<Buffer<float>> x{"x", 3};   // (c, stream, token)
    Input<float> scale{"scale"};      // every stream's weight: 1 sums, 1/d averages
    Output<Buffer<float>> y{"y", 2};  // (c, token)

    void generate() {
        Var t("t"), c("c"), j("j");
        RDom streams(0, x.dim(1).extent(), "streams");
        Func weight("weight"), y_sum("y_sum");
        weight(j, t) = scale;
        define_stream_read(y_sum, weight, x, streams, c, t);
        y(c, t) = y_sum(c, t);
        constrain_streams(x, d_fixed);
        x.set_estimates(rows_per_stream(estimate_streams(d_fixed)));
        y.set_estimates(row_per_token());
        stages = StreamReadForwardStages{y, y_sum, streams, t, c, d_fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_read_forward_gpu(stages, knobs());
        } else {
            schedule_stream_read_forward_cpu(stages, knobs());
        }
    }

private:
    StreamReadForwardStages stages;
};

class StreamSumBackward : public GomhcGenerator<StreamSumBackward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<Buffer<float>> dy{"dy", 2};  // (c, token)
    Input<float> scale{"scale"};
    Output<Buffer<float>> dx{"dx", 3};  // (c, stream, token): d from its shape

    void generate() {
        Var t("t"), c("c"), j("j");
        Func weight("weight");
        weight(j, t) = scale;
        dx(c, j, t) = stream_read_input_gradient(weight, dy, c, j, t);
        dx.dim(1).set_stride(dx.dim(0).extent());
        dx.dim(2).set_stride(dx.dim(0).extent() * dx.dim(1).extent());
        fix_streams(dx, {1}, d_fixed);
        dy.set_estimates(row_per_token());
        dx.set_estimates(rows_per_stream(estimate_streams(d_fixed)));
        stages = StreamSumBackwardStages{dx, t, c, j, d_fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_sum_backward_gpu(stages, knobs());
        } else {
            schedule_stream_sum_backward_cpu(stages, knobs());
        }
    }

private:
    StreamSumBackwardStages stages;
};

class StreamWriteForward : public GomhcGenerator<StreamWriteForward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};

    Input<Buffer<float>> x{"x", 3};             // (c, stream, token)
    Input<Buffer<float>> h_res{"h_res", 3};     // (from stream j, to stream i, token)
    Input<Buffer<float>> h_post{"h_post", 2};   // (stream, token)
    Input<Buffer<float>> f{"f", 2};             // (c, token)
    Output<Buffer<float>> x_next{"x_next", 3};  // (c, stream, token)

    void generate() {
        Var t("t"), c("c"), i("i");
        RDom streams(0, x.dim(1).extent(), "streams");
        Func mixed("mixed");
        mixed(c, i, t) = h_post(i, t) * f(c, t);
        mixed(c, i, t) += h_res(streams, i, t) * x(c, streams, t);
        x_next(c, i, t) = mixed(c, i, t);
        constrain_streams(x, d_fixed);
        fix_streams(h_res, {0, 1}, d_fixed);
        fix_streams(h_post, {0}, d_fixed);
        fix_streams(x_next, {1}, d_fixed);
        const int d_est = estimate_streams(d_fixed);
        x.set_estimates(rows_per_stream(d_est));
        h_res.set_estimates(stream_matrix(d_est));
        h_post.set_estimates(per_stream(d_est));
        f.set_estimates(row_per_token());
        x_next.set_estimates(rows_per_stream(d_est));
        stages = StreamWriteForwardStages{x_next, mixed, streams, t, c, i, d_fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_write_forward_gpu(stages, knobs());
        } else {
            schedule_stream_write_forward_cpu(stages, knobs());
        }
    }

private:
    StreamWriteForwardStages stages;
};

class StreamWriteBackward : public GomhcGenerator<StreamWriteBackward> {
public:
    GeneratorParam<int> d_fixed{"d", 0};
    // With d fixed: rows of dX computed together per feature vector (each
    // vector of dout then loaded once for all of them).
    GeneratorParam<int> dx_rows{"dx_rows", knob_defaults::cpu_stream_write_backward::dx_rows};

    Input<Buffer<float>> x{"x", 3};
    Input<Buffer<float>> h_res{"h_res", 3};
    Input<Buffer<float>> h_post{"h_post", 2};
    Input<Buffer<float>> f{"f", 2};
    Input<Buffer<float>> dx_next{"dx_next", 3};   // (c, stream, token)
    Output<Buffer<float>> dx{"dx", 3};            // (c, stream, token)
    Output<Buffer<float>> dh_res{"dh_res", 3};    // (j, i, token)
    Output<Buffer<float>> dh_post{"dh_post", 2};  // (stream, token)
    Output<Buffer<float>> df{"df", 2};            // (c, token)

    void generate() {
        Var t("t"), c("c"), i("i"), j("j");
        RDom streams(0, x.dim(1).extent(), "streams");
        RDom features(0, x.dim(0).extent(), "features");

        // dX[j] gathers dout from every stream i that read X[j].
        Func dx_sum("dx_sum"), df_sum("df_sum");
        dx_sum(c, j, t) = 0.0f;
        dx_sum(c, j, t) += h_res(j, streams, t) * dx_next(c, streams, t);
        dx(c, j, t) = dx_sum(c, j, t);

        df_sum(c, t) = 0.0f;
        df_sum(c, t) += h_post(streams, t) * dx_next(c, streams, t);
        df(c, t) = df_sum(c, t);

        Func dh_res_sum("dh_res_sum"), dh_post_sum("dh_post_sum");
        dh_res_sum(j, i, t) = 0.0f;
        dh_res_sum(j, i, t) += dx_next(features, i, t) * x(features, j, t);
        dh_res(j, i, t) = dh_res_sum(j, i, t);

        dh_post_sum(i, t) = 0.0f;
        dh_post_sum(i, t) += dx_next(features, i, t) * f(features, t);
        dh_post(i, t) = dh_post_sum(i, t);

        constrain_streams(x, d_fixed);
        fix_streams(h_res, {0, 1}, d_fixed);
        fix_streams(h_post, {0}, d_fixed);
        fix_streams(dx_next, {1}, d_fixed);
        fix_streams(dx, {1}, d_fixed);
        fix_streams(dh_res, {0, 1}, d_fixed);
        fix_streams(dh_post, {0}, d_fixed);
        const int d_est = estimate_streams(d_fixed);
        x.set_estimates(rows_per_stream(d_est));
        h_res.set_estimates(stream_matrix(d_est));
        h_post.set_estimates(per_stream(d_est));
        f.set_estimates(row_per_token());
        dx_next.set_estimates(rows_per_stream(d_est));
        dx.set_estimates(rows_per_stream(d_est));
        dh_res.set_estimates(stream_matrix(d_est));
        dh_post.set_estimates(per_stream(d_est));
        df.set_estimates(row_per_token());
        stages = StreamWriteBackwardStages{dx,     dh_res,     dh_post,     df,      dx_sum,
                                           df_sum, dh_res_sum, dh_post_sum, streams, features,
                                           t,      c,          i,           j,       d_fixed};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_write_backward_gpu(stages, knobs());
        } else {
            schedule_stream_write_backward_cpu(stages, knobs(), dx_rows);
        }
    }

private:
    StreamWriteBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::StreamReadForward, stream_read_forward)
HALIDE_REGISTER_GENERATOR(gomhc::StreamReadBackward, stream_read_backward)
HALIDE_REGISTER_GENERATOR(gomhc::StreamSumForward, stream_sum_forward)
HALIDE_REGISTER_GENERATOR(gomhc::StreamSumBackward, stream_sum_backward)
HALIDE_REGISTER_GENERATOR(gomhc::StreamWriteForward, stream_write_forward)
HALIDE_REGISTER_GENERATOR(gomhc::StreamWriteBackward, stream_write_backward)
