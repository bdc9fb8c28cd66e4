// The squared 2-norm of a flat array, sum_i x_i^2: the global gradient
// norm of a training step (docs/math.md section 5). The array is summed in
// chunks of kChunk entries, each in order, then the chunk sums in order: the
// same result on any number of threads.
#include "common.h"
#include "schedules/squared_norm_cpu.h"
#include "schedules/squared_norm_gpu.h"

namespace gomhc {
namespace {

constexpr int kChunk = 4096;

class SquaredNorm : public GomhcGenerator<SquaredNorm> {
public:
    Input<Buffer<float>> x{"x", 1};
    Output<Buffer<float>> squared_norm{"squared_norm", 1};  // one element

    void generate() {
        Var i("i"), chunk("chunk");
        Expr size = x.dim(0).extent();
        RDom in_chunk(0, kChunk, "in_chunk");
        Expr index = chunk * kChunk + in_chunk;
        Expr value = x(min(index, size - 1));
        Func chunk_sum("chunk_sum");
        chunk_sum(chunk) = 0.0f;
        chunk_sum(chunk) += select(index < size, value * value, 0.0f);
        RDom chunks(0, (size + kChunk - 1) / kChunk, "chunks");
        Func total("total");
        total(i) = 0.0f;
        total(i) += chunk_sum(chunks);
        squared_norm(i) = total(i);

        squared_norm.dim(0).set_bounds(0, 1);
        x.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        squared_norm.set_estimates({{0, 1}});
        stages = SquaredNormStages{squared_norm, total, chunk_sum, in_chunk, chunk, i};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_squared_norm_gpu(stages, knobs());
        } else {
            schedule_squared_norm_cpu(stages, knobs());
        }
    }

private:
    SquaredNormStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::SquaredNorm, squared_norm)
