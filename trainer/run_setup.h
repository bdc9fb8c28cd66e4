// A run before its first step, in train()'s order: Run's constructor checks
// every input on every rank and loads the data, then the threads start and
// the model is built (run_state.h then resumes a checkpoint or loads --init).
#pragma once

#include "run.h"

namespace gomhc::trainer {

struct RunThreads {
    int count = 0;        // this rank's CPU threads
    double fma_peak = 0;  // flop/s on them, by TrainHooks::fma_peak; 0 without it
};

// --threads, or the machine's cores shared by its ranks, set for Halide and
// the BLAS. The FMA peak is measured first: the BLAS threads spin after
// starting and after each call, and would halve it.
RunThreads start_threads(const Run &run, const TrainHooks &hooks);

// The model and its optimizer, on every rank.
void build_model(Run &run);

}  // namespace gomhc::trainer
