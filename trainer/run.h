// One training run as train() (training.cpp) drives it: its settings and
// ranks, the data, the model and optimizer, and the buffers of a step. The
// pieces of a run take it: run_setup.h builds it, run_state.h resumes and
// saves it, evaluation.h measures the model, run_log.h records it.
#pragma once

#include <gomhc/gomhc.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dataset.h"
#include "distributed.h"
#include "gpt.h"
#include "training.h"

namespace gomhc::trainer {

struct Run {
    // Checks every input on every rank before anything is written (the
    // settings, the data, the output folder) and loads the data.
    Run(const TrainSettings &settings, Ranks &ranks, std::ostream &log);
    // The batches point into the data: a run stays where it was made.
    Run(const Run &) = delete;
    Run &operator=(const Run &) = delete;

    // An error every rank meets alike (from summed values): AgreedError with
    // several ranks, TrainError with one.
    [[noreturn]] void fail(const std::string &message) const;
    // What a failed step leaves, for its message: the last checkpoint saved,
    // untouched, or that there is none yet.
    std::string kept() const;

    const TrainSettings &settings;
    Ranks &ranks;
    std::ostream &log;  // rank 0's; the other ranks print nothing
    const int world;
    const int64_t micro_per_step;   // micro-batches of a step, over all ranks
    const int64_t tokens_per_step;  // over all ranks
    std::optional<Dataset> data;
    std::optional<Batches> train_batches, val_batches;
    std::optional<Gpt> gpt;  // build_model
    std::optional<Adamw> opt;
    DeviceMemory grad_sq;                  // the gradients' squared norm, in their memory
    bool from_checkpoint = false;          // --resume with a checkpoint there (a run
                                           // stopped before its first save starts over)
    int64_t first_step = 0;                // steps done before this call (restore)
    int64_t last_saved = -1;               // the step of the last checkpoint saved
    std::vector<int32_t> inputs, targets;  // a micro-batch
};

// One step's numbers, as every rank holds them.
struct StepStats {
    double loss = 0;  // the mean over the step's micro-batches
    float lr = 0;
    double grad_norm = 0;   // before clipping
    bool stopping = false;  // a stop was asked on some rank
    double allreduce_seconds = 0;
};

}  // namespace gomhc::trainer
