// The trainer's presets (docs/trainer.md, "Presets"): demo (the README's
// main job), small and medium (the CPU comparison sizes) and gpt-30m (the
// paper's scale, for a GPU). `gomhc train` flags override their values; the
// step benchmark runs small and medium.
#pragma once

#include <string>

#include "training.h"

namespace gomhc::trainer {

// A preset's settings; TrainError naming the preset for an unknown name.
TrainSettings preset(const std::string &name);

}  // namespace gomhc::trainer
