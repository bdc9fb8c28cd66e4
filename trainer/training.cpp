// The training loop, read as llm.c's: train_step (batches, forward,
// backward, the ranks' gradients summed, the update) and around it what the
// run does between steps. The run's setup, state, evaluation and record are
// in run_setup, run_state, evaluation and run_log.
#include "training.h"

#include <chrono>
#include <cmath>

#include "evaluation.h"
#include "run.h"
#include "run_log.h"
#include "run_setup.h"
#include "run_state.h"

namespace gomhc::trainer {

double learning_rate(const TrainSettings &s, int64_t step) {
    if (step < s.warmup) {
        return s.lr * double(step + 1) / double(s.warmup);
    }
    const int64_t decay_steps = s.steps - s.warmup;
    if (decay_steps <= 1) {
        return s.lr;
    }
    const double ratio = double(step - s.warmup) / double(decay_steps - 1);
    return s.min_lr + 0.5 * (1.0 + std::cos(M_PI * ratio)) * (s.lr - s.min_lr);
}

double flops_per_token(const GptConfig &c, int64_t num_params, int64_t t) {
    const double multiplying = double(num_params - c.context * c.width);
    return 6.0 * multiplying + 12.0 * double(c.layers) * double(t) * double(c.width);
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// This rank's micro-batches of the step (those one process with
// micro_per_step accumulation steps would train on, in rank order): forward,
// and backward adding into the gradients. Returns the sum of their losses.
double forward_backward(Run &run, int64_t step) {
    const TrainSettings &s = run.settings;
    double loss = 0;
    for (int64_t micro = 0; micro < s.grad_accum; micro++) {
        run.train_batches->fill(step * run.micro_per_step + run.ranks.rank() * s.grad_accum + micro,
                                run.inputs, run.targets);
        loss += run.gpt->forward(run.inputs.data(), run.targets.data(), s.batch, s.model.context);
        run.gpt->backward(1.0f / float(run.micro_per_step));
    }
    return loss;
}

// Sums the gradients, the loss and a stop asked on any rank over the ranks.
StepStats all_reduce(Run &run, double loss, const std::atomic<bool> *stop) {
    const auto t0 = Clock::now();
    double summed[2] = {loss, stop && stop->load() ? 1.0 : 0.0};
    run.ranks.sum(run.gpt->grads_view());
    run.ranks.sum(summed, 2);
    StepStats st;
    st.allreduce_seconds = seconds_since(t0);
    st.loss = summed[0] / double(run.micro_per_step);
    st.stopping = summed[1] > 0;
    return st;
}

// The global gradient norm, left in run.grad_sq (squared) for the clip.
double gradient_norm(Run &run) {
    squared_norm(run.gpt->grads_view(), run.grad_sq.view({1}));
    float norm_sq = 0;
    run.grad_sq.download(&norm_sq, 1);
    return std::sqrt(double(norm_sq));
}

void check_finite(const Run &run, int64_t done, const StepStats &st) {
    if (!std::isfinite(st.loss) || !std::isfinite(st.grad_norm)) {
        run.fail("step " + std::to_string(done) + ": the " +
                 (std::isfinite(st.loss) ? "gradient norm" : "training loss") + " is " +
                 std::to_string(std::isfinite(st.loss) ? st.grad_norm : st.loss) + "; stopped, " +
                 run.kept());
    }
}

// AdamW at step's learning rate, the gradient clipped by its global norm.
// Returns the learning rate.
float update(Run &run, int64_t step) {
    const TrainSettings &s = run.settings;
    AdamwSettings as;
    as.lr = float(learning_rate(s, step));
    as.beta1 = float(s.beta1);
    as.beta2 = float(s.beta2);
    as.weight_decay = float(s.weight_decay);
    as.max_norm = float(s.clip);
    run.opt->step(run.gpt->params_view(), run.gpt->grads_view(), run.grad_sq.view({1}), as);
    return as.lr;
}

// One optimizer step (0-based `step`) on every rank.
StepStats train_step(Run &run, int64_t step, const std::atomic<bool> *stop) {
    run.gpt->zero_grads();
    const double loss = forward_backward(run, step);  // this rank's micro-batches
    StepStats st = all_reduce(run, loss, stop);       // gradients, loss and stop over the ranks
    st.grad_norm = gradient_norm(run);
    check_finite(run, step + 1, st);
    st.lr = update(run, step);  // clip and AdamW
    return st;
}

bool due(int64_t every, int64_t done) { return every > 0 && done % every == 0; }

// What follows step `done` on its schedule: an evaluation (and at the last
// step), a sample (and at the last step), a checkpoint (and at the last
// step, and when stopping).
void after_step(Run &run, RunLog &record, int64_t done, bool stopping) {
    const TrainSettings &s = run.settings;
    const bool last = done == s.steps;
    if (last || due(s.eval_every, done)) {
        record.validation(done, validate(run, done));
    }
    if (s.sample_every > 0 && (last || due(s.sample_every, done))) {
        print_sample(run, done);
    }
    if (last || stopping || due(s.checkpoint_every, done)) {
        save_checkpoint(run, done);
    }
}

}  // namespace

TrainResult train(const TrainSettings &settings, std::ostream &root_log,
                  const std::atomic<bool> *stop, Ranks &ranks, const TrainHooks &hooks) {
    std::ostream silent(nullptr);                                // the other ranks print nothing
    Run run(settings, ranks, ranks.root() ? root_log : silent);  // every input checked first
    const RunThreads threads = start_threads(run, hooks);
    build_model(run);
    restore(run);                 // a checkpoint resumed, or --init's weights
    RunLog record(run, threads);  // metrics.jsonl opened, the header printed

    if (run.first_step == 0) {
        record.validation(0, validate(run, 0));
    }
    const auto start = Clock::now();
    for (int64_t step = run.first_step; step < settings.steps; step++) {
        const auto t0 = Clock::now();
        const StepStats st = train_step(run, step, stop);
        record.step(step + 1, st, seconds_since(t0));
        after_step(run, record, step + 1, st.stopping);
        if (st.stopping && step + 1 < settings.steps) {
            record.interrupted(step + 1);
            break;
        }
    }
    return record.finish(seconds_since(start), hooks);
}

}  // namespace gomhc::trainer
