// A run's checkpoint as the loop uses it (the files: checkpoint.h,
// model_files.h): where a run starts (a checkpoint resumed, --init weights,
// or the seeded model) and the checkpoint it saves, with state.json's record
// of the run's settings and data position.
#pragma once

#include <nlohmann/json.hpp>

#include "run.h"

namespace gomhc::trainer {

// Resumes the checkpoint in --out (rank 0 first: its read may finish the
// renames of a stopped save) and sets run.first_step, or loads --init's
// weights; noting, on rank 0's log, the settings a resumed run changed.
void restore(Run &run);

// Saves the checkpoint of `step` on rank 0, once the ranks agree that they
// hold the same weights.
void save_checkpoint(Run &run, int64_t step);

}  // namespace gomhc::trainer
