// out = a + b elementwise over a flat float array: the runtime's one
// arithmetic helper, so gradients can be accumulated in CUDA memory as well
// as on the host (the residual method's pre_backward adds dy into dx).
#include "common.h"
#include "schedules/accumulate_cpu.h"
#include "schedules/accumulate_gpu.h"

namespace gomhc {
namespace {

class Accumulate : public GomhcGenerator<Accumulate> {
public:
    Input<Buffer<float>> a{"a", 1};
    Input<Buffer<float>> b{"b", 1};
    Output<Buffer<float>> sum{"sum", 1};

    void generate() {
        Var i("i");
        sum(i) = a(i) + b(i);
        a.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        b.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        sum.set_estimates({{0, kEstimateTokens * kEstimateFeatures}});
        stages = AccumulateStages{sum, i};
    }

    void schedule() {
        if (!hand_scheduled()) {
            return;
        } else if (for_gpu()) {
            schedule_accumulate_gpu(stages, knobs());
        } else {
            schedule_accumulate_cpu(stages, knobs());
        }
    }

private:
    AccumulateStages stages;
};

}  // namespace
}  // namespace gomhc

HALIDE_REGISTER_GENERATOR(gomhc::Accumulate, accumulate)
