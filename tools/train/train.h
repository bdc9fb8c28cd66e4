// `gomhc train` and `gomhc sample`: the command lines over the trainer
// (trainer/training.h, trainer/sampling.h).
#pragma once

#include <atomic>
#include <filesystem>
#include <ostream>
#include <string>

#include "training.h"

namespace gomhc::tools::train {

// A preset's settings (docs/trainer.md, "Presets"); CLI::ValidationError
// for an unknown name.
trainer::TrainSettings preset(const std::string &name);
// The default corpus (the King James Bible), prepared on first use in
// $XDG_CACHE_HOME/gomhc/kjv or ~/.cache/gomhc/kjv.
std::filesystem::path default_data(std::ostream &log);

// What the commands give trainer::train: the machine's FMA peak for the MFU
// (measured once per process and thread count) and DIR/loss.png drawn with
// gnuplot (train_hooks.cpp).
trainer::TrainHooks train_hooks();

// SIGINT and SIGTERM from now on set the returned flag (a run given it
// finishes its step, saves and returns); a second signal kills at once.
const std::atomic<bool> *stop_on_signal();

int train_main(int argc, char **argv);
int sample_main(int argc, char **argv);

}  // namespace gomhc::tools::train
