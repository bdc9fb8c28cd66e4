// `gomhc synth`: the synthetic stream-mixing task of the go-mHC paper
// (docs/math.md section 4). Every method fits one mixer per ground-truth target with Adam;
// the run writes the loss curves, a summary and a figure.
#pragma once

namespace gomhc::tools::synth {

// Parses the subcommand's arguments (argv[0] is "synth") and runs it; returns
// the process exit code (0 done, 1 failed, 2 bad command line).
int synth_main(int argc, char **argv);

}  // namespace gomhc::tools::synth
