// The stream embedding (docs/math.md section 3.1): a learned row per stream,
// added to every token's streams where the embedding enters them, so that a
// network's d streams differ from its first block on. Forward and backward:
//   out[t][j][c] = x[t][j][c] + wse[j][c]
//   dwse[j][c] += sum_t dout[t][j][c]
// The forward may write x's own memory.
#include "common.h"
#include "schedules/stream_embed_cpu.h"
#include "schedules/stream_embed_gpu.h"

namespace gomhc {
namespace {

Region rows_per_stream() {  // [T][d][C]
    return {{0, kEstimateFeatures}, {0, kEstimateStreams}, {0, kEstimateTokens}};
}
Region table() { return {{0, kEstimateFeatures}, {0, kEstimateStreams}}; }  // [d][C]

template<typename Buffer>
void dense_streams(const Buffer &b) {  // [T][d][C]
    b.dim(1).set_stride(b.dim(0).extent());
    b.dim(2).set_stride(b.dim(0).extent() * b.dim(1).extent());
}

class StreamEmbedForward : public GomhcGenerator<StreamEmbedForward> {
public:
    Input<Buffer<float>> x{"x", 3};       // (c, stream, token)
    Input<Buffer<float>> wse{"wse", 2};   // (c, stream)
    Output<Buffer<float>> out{"out", 3};  // (c, stream, token)

    void generate() {
        Var c("c"), j("j"), t("t");
        out(c, j, t) = x(c, j, t) + wse(c, j);
        dense_streams(x);
        dense_streams(out);
        wse.dim(1).set_stride(wse.dim(0).extent());
        x.set_estimates(rows_per_stream());
        wse.set_estimates(table());
        out.set_estimates(rows_per_stream());
        stages = StreamEmbedForwardStages{out, c, j, t};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_embed_forward_gpu(stages, knobs());
        } else {
            schedule_stream_embed_forward_cpu(stages, knobs());
        }
    }

private:
    StreamEmbedForwardStages stages;
};

class StreamEmbedBackward : public GomhcGenerator<StreamEmbedBackward> {
public:
    Input<Buffer<float>> dout{"dout", 3};        // (c, stream, token)
    Input<Buffer<float>> dwse_in{"dwse_in", 2};  // what dwse held before
    Output<Buffer<float>> dwse{"dwse", 2};       // (c, stream)

    void generate() {
        Var c("c"), j("j");
        RDom tokens(0, dout.dim(2).extent(), "tokens");
        Func sum("sum");
        sum(c, j) = dwse_in(c, j);
        // The tokens in order: the same sum on any number of threads.
        sum(c, j) += dout(c, j, tokens);
        dwse(c, j) = sum(c, j);
        dense_streams(dout);
        dwse_in.dim(1).set_stride(dwse_in.dim(0).extent());
        dwse.dim(1).set_stride(dwse.dim(0).extent());
        dout.set_estimates(rows_per_stream());
        dwse_in.set_estimates(table());
        dwse.set_estimates(table());
        stages = StreamEmbedBackwardStages{dwse, sum, tokens, c, j};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_stream_embed_backward_gpu(stages, knobs());
        } else {
            schedule_stream_embed_backward_cpu(stages, knobs());
        }
    }

private:
    StreamEmbedBackwardStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::StreamEmbedForward, stream_embed_forward)
HALIDE_REGISTER_GENERATOR(gomhc::StreamEmbedBackward, stream_embed_backward)
