// What a run measures of its model between steps: the validation loss and a
// printed sample.
#pragma once

#include <cstdint>

#include "run.h"

namespace gomhc::trainer {

// The mean loss of the first --eval-batches validation batches, each rank
// taking every world-th one, summed over the ranks. A non-finite loss fails
// the run (on every rank) naming `step`.
double validation_loss(Run &run, int64_t step);

// Prints --sample-tokens tokens generated after a newline on rank 0's log,
// seeded by --seed and `step`; only for byte vocabularies (256), which
// decode without a tokenizer.
void print_sample(Run &run, int64_t step);

}  // namespace gomhc::trainer
