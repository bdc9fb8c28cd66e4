// `gomhc train` and `gomhc sample`: the command lines over the trainer
// (trainer/training.h, trainer/sampling.h).
#pragma once

namespace gomhc::tools::train {

int train_main(int argc, char **argv);
int sample_main(int argc, char **argv);

}  // namespace gomhc::tools::train
