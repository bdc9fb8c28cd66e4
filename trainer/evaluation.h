// What a run measures of its model between steps: the validation loss and a
// printed sample.
#pragma once

#include <cstdint>
#include <optional>

#include "run.h"
#include "stream_diagnostics.h"

namespace gomhc::trainer {

struct Validation {
    double loss = 0;
    // How the model used its streams on rank 0's first validation batch
    // (hyper-connections only: d > 1).
    std::optional<StreamDiagnostics> streams;
};

// The mean loss of the first --eval-batches validation batches, each rank
// taking every world-th one, summed over the ranks, and the stream
// diagnostics of the first. A non-finite loss fails the run (on every rank)
// naming `step`.
Validation validate(Run &run, int64_t step);

// Prints --sample-tokens tokens generated after a newline on rank 0's log,
// seeded by --seed and `step`; only for byte vocabularies (256), which
// decode without a tokenizer.
void print_sample(Run &run, int64_t step);

}  // namespace gomhc::trainer
