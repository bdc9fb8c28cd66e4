#include "evaluation.h"

#include <cmath>
#include <string>

#include "sampling.h"

namespace gomhc::trainer {

Validation validate(Run &run, int64_t step) {
    const TrainSettings &s = run.settings;
    Validation v;
    double total = 0;
    for (int64_t i = run.ranks.rank(); i < s.eval_batches; i += run.world) {
        run.val_batches->fill(i, run.inputs, run.targets);
        total += run.gpt->forward(run.inputs.data(), run.targets.data(), s.batch, s.model.context);
        if (i == 0 && s.model.d > 1) {
            v.streams = run.gpt->stream_diagnostics();
        }
    }
    run.ranks.sum(&total, 1);
    const double val = total / double(s.eval_batches);
    if (!std::isfinite(val)) {
        run.fail("step " + std::to_string(step) + ": the validation loss is " +
                 std::to_string(val) + "; stopped, " + run.kept());
    }
    v.loss = val;
    return v;
}

void print_sample(Run &run, int64_t step) {
    if (!run.ranks.root() || run.settings.model.vocab != 256) {
        return;
    }
    SampleSettings ss;
    ss.tokens = run.settings.sample_tokens;
    ss.temperature = 0.8;
    ss.top_k = 40;
    ss.seed = run.settings.model.seed + uint64_t(step);
    const std::vector<int32_t> text = generate(*run.gpt, {'\n'}, ss);
    run.log << "---- sample at step " << step << " ----\n"
            << decode_bytes(text) << "\n-----------------------------\n";
}

}  // namespace gomhc::trainer
