#include "run_state.h"

#include "checkpoint.h"
#include "model_files.h"

namespace gomhc::trainer {

using json = nlohmann::json;

namespace {

// CRC-32 of the weights, to compare ranks.
uint64_t weights_checksum(Gpt &gpt) {
    const std::vector<float> host = host_copy(gpt.params_view());
    return crc32_of(
        std::string(reinterpret_cast<const char *>(host.data()), host.size() * sizeof(float)));
}

// The settings a resumed run must repeat to continue bitwise. How the
// micro-batches of a step split into ranks and accumulation ("ranks",
// "grad_accum") may change: the sequences stay those of
// "micro_batches_per_step".
json run_settings(const TrainSettings &s, int ranks) {
    return {{"batch", s.batch},
            {"grad_accum", s.grad_accum},
            {"ranks", ranks},
            {"micro_batches_per_step", s.grad_accum * ranks},
            {"steps", s.steps},
            {"lr", s.lr},
            {"min_lr", s.min_lr},
            {"warmup", s.warmup},
            {"beta1", s.beta1},
            {"beta2", s.beta2},
            {"weight_decay", s.weight_decay},
            {"clip", s.clip},
            {"threads", s.threads}};
}

// Notes where a resumed run differs from the checkpoint's.
void note_run_changes(const json &saved, const json &now, std::ostream &log) {
    for (const auto &[key, value] : now.items()) {
        if (key != "grad_accum" && key != "ranks" && saved.contains(key) && saved[key] != value) {
            log << "gomhc train: note: " << key << " is " << value.dump()
                << ", the checkpoint's run had " << saved[key].dump()
                << "; the run goes on but is not the one it would have been\n";
        }
    }
    const json saved_ranks = saved.value("ranks", json(1));
    if (saved.value("micro_batches_per_step", now["micro_batches_per_step"]) ==
            now["micro_batches_per_step"] &&
        (saved.value("grad_accum", now["grad_accum"]) != now["grad_accum"] ||
         saved_ranks != now["ranks"])) {
        log << "gomhc train: note: the checkpoint's run split each step into " << saved_ranks.dump()
            << " ranks x " << saved.value("grad_accum", json(0)).dump()
            << " micro-batches, this one into " << now["ranks"].dump() << " x "
            << now["grad_accum"].dump()
            << ": the same sequences, summed in another order (equal to rounding, not "
               "bitwise)\n";
    }
}

void resume(Run &run) {
    const TrainSettings &s = run.settings;
    const CheckpointFiles files = read_checkpoint(s.out);
    const GptConfig &saved = files.state.config;
    if (config_json(saved) != config_json(s.model)) {
        throw TrainError(
            "--resume: " + s.out.string() + " holds a checkpoint of another configuration (" +
            config_json(saved).dump() + "); this run asks for " + config_json(s.model).dump());
    }
    load_model_weights(*run.gpt, files.model, (s.out / "model.safetensors").string());
    load_optimizer(*run.opt, run.gpt->num_params(), files.optimizer,
                   (s.out / "optimizer.safetensors").string());
    run.first_step = files.state.step;
    run.last_saved = run.first_step;
    note_run_changes(files.state.run, run_settings(s, run.world), run.log);
    run.opt->set_steps(run.first_step);
    if (run.first_step >= s.steps) {
        throw TrainError("--resume: the checkpoint in " + s.out.string() + " is at step " +
                         std::to_string(run.first_step) + ", already --steps = " +
                         std::to_string(s.steps) + "; raise --steps to go on");
    }
}

}  // namespace

void restore(Run &run) {
    const TrainSettings &s = run.settings;
    Ranks &ranks = run.ranks;
    if (run.from_checkpoint) {
        ranks.together([&] {
            if (ranks.root()) {
                resume(run);
            }
        });
        ranks.together([&] {
            if (!ranks.root()) {
                resume(run);
            }
        });
    } else if (!s.init.empty()) {
        ranks.together(
            [&] { load_model_weights(*run.gpt, read_file(s.init), "--init " + s.init.string()); });
    }
}

void save_checkpoint(Run &run, int64_t step) {
    const TrainSettings &s = run.settings;
    // Every rank must hold the weights rank 0 saves.
    if (run.world > 1 && !run.ranks.same(weights_checksum(*run.gpt))) {
        run.fail("step " + std::to_string(step) + ": the ranks hold different weights; " +
                 run.kept());
    }
    if (!run.ranks.root()) {
        return;
    }
    json state = {{"step", step},
                  {"config", config_json(s.model)},
                  {"data",
                   {{"folder", s.data.string()},
                    {"next_batch", step * run.micro_per_step},
                    {"batch", s.batch},
                    {"grad_accum", s.grad_accum}}},
                  {"rng",
                   "none consumed by training steps (batches are a function of "
                   "the step; samples seed from --seed and the step)"},
                  {"run", run_settings(s, run.world)},
                  {"optimizer_steps", run.opt->steps()}};
    try {
        write_checkpoint(s.out, *run.gpt, *run.opt, state);
    } catch (const CheckpointError &e) {
        throw TrainError("step " + std::to_string(step) + ": the checkpoint was not saved (" +
                         e.what() + "); stopped, " + run.kept());
    }
    run.last_saved = step;
}

}  // namespace gomhc::trainer
