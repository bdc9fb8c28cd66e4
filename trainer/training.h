// The training loop (docs/trainer.md, "Training"): AdamW with linear warmup
// and cosine decay, gradient accumulation, evaluation on fixed validation
// batches, progress lines, DIR/metrics.jsonl, checkpoints and resume.
// `gomhc train` is a command line over train() that also draws DIR/loss.png
// and measures the FMA peak for the MFU (TrainHooks); tests call it
// in-process.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <gomhc/gomhc.hpp>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "distributed.h"
#include "gpt.h"

namespace gomhc::trainer {

// A run that cannot start or cannot go on; the message names the flag, file
// or step and the problem.
class TrainError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TrainSettings {
    GptConfig model;
    std::filesystem::path data;  // a folder of token shards
    std::filesystem::path out;   // the run's folder
    int64_t batch = 8;           // sequences per micro-batch
    int64_t grad_accum = 1;      // micro-batches per step
    int64_t steps = 100;
    double lr = 1e-3;
    double min_lr = 1e-4;  // the cosine's end
    int64_t warmup = 0;    // steps of linear warmup
    double beta1 = 0.9, beta2 = 0.95;
    double weight_decay = 0.1;  // on matrices only
    double clip = 1.0;          // global gradient norm; 0: off
    int threads = 0;            // CPU threads; 0: every core
    Device device = Device::host;
    bool resume = false;         // continue from the checkpoint in out
    std::filesystem::path init;  // start from these weights (.safetensors)
    int64_t eval_every = 100;    // and at the first and last step; 0: only at the last
    int64_t eval_batches = 8;
    int64_t sample_every = 0;  // print a sample; 0: never
    int64_t sample_tokens = 128;
    int64_t checkpoint_every = 0;  // and at the last step; 0: only at the last
    int64_t log_every = 10;        // progress lines; 0: none
    bool plot = true;              // DIR/loss.png, by TrainHooks::plot
};

// A run's loss curves as (step, loss): every step's training loss and every
// evaluation's validation loss, a resumed run's from the run's start.
struct LossCurves {
    std::vector<std::pair<int64_t, double>> train, val;
};

// What the trainer leaves to its caller, so that the trainer library needs
// neither the machine probe nor gnuplot (`gomhc train` fills both).
struct TrainHooks {
    // The machine's peak flop/s on `threads` threads, for the MFU of the
    // progress lines and summary (called once, before the BLAS threads
    // start); unset: no MFU is printed.
    std::function<double(int threads)> fma_peak;
    // Draws DIR/loss.png from the curves on rank 0 at the end of a run with
    // settings.plot; returns the line to print (what was written).
    std::function<std::string(const std::filesystem::path &out, const LossCurves &curves)> plot;
};

// The learning rate before step `step` (0-based) of `s.steps`: linear warmup
// over s.warmup steps to s.lr, then a cosine from s.lr to s.min_lr.
double learning_rate(const TrainSettings &s, int64_t step);

// Model flops per token: 6 per parameter that multiplies (every parameter
// but the position embedding) plus 12 L T C for attention's two products.
double flops_per_token(const GptConfig &config, int64_t num_params, int64_t t);

struct TrainResult {
    int64_t first_step = 0;     // steps done before this call (0, or the resumed step)
    int64_t steps_done = 0;     // after this call
    std::vector<float> losses;  // the training loss of every step of this call
    std::vector<std::pair<int64_t, float>> val_losses;  // (step, loss) of this call
    // On rank 0, the whole run's (step, loss): after a resume, the part before it
    // (from metrics.jsonl) and then val_losses. Empty on the other ranks.
    std::vector<std::pair<int64_t, float>> run_val_losses;
    bool interrupted = false;      // stopped by the flag, checkpoint saved
    double tokens_per_second = 0;  // over the steps of this call but its first
    int64_t num_params = 0;
    // The last evaluation's stream diagnostics on rank 0 (hyper-connections).
    std::optional<StreamDiagnostics> last_streams;
};

// Runs (or resumes) a training run. Everything the run reads is checked
// before out is created or written. When *stop becomes true (a signal
// handler sets it) the current step finishes, a checkpoint is written and
// train returns with interrupted set. Throws TrainError (or the error of the
// file or config that is wrong) naming the problem; a non-finite loss or
// gradient norm names the step and leaves the last checkpoint as it was.
// With several ranks (mpirun), each trains settings.grad_accum micro-batches
// of every step, the gradients are summed over the ranks, rank 0 alone
// prints to `log` and writes files, and errors every rank meets are
// AgreedError (docs/trainer.md, "Several processes").
TrainResult train(const TrainSettings &settings, std::ostream &log,
                  const std::atomic<bool> *stop = nullptr, Ranks &ranks = Ranks::world(),
                  const TrainHooks &hooks = {});

}  // namespace gomhc::trainer
