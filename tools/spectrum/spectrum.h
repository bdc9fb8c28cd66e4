// `gomhc spectrum`: the spectral-reach experiment of the go-mHC paper
// (docs/math.md section 4). Samples mixers from each method, computes their eigenvalues and
// measures how much of the Karpelevic region Theta_d they reach.
#pragma once

namespace gomhc::tools::spectrum {

// Parses the subcommand's arguments (argv[0] is "spectrum") and runs it;
// returns the process exit code (0 done, 1 failed, 2 bad command line).
int spectrum_main(int argc, char **argv);

}  // namespace gomhc::tools::spectrum
