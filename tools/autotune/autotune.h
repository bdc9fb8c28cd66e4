// `gomhc autotune`: searches each op's schedule parameters on this machine
// and writes the winners to a tuned-schedule file the build reads.
#pragma once

namespace gomhc::autotune {

// Parses the subcommand's arguments (argv[0] is "autotune") and runs it;
// returns the process exit code.
int autotune_main(int argc, char **argv);

}  // namespace gomhc::autotune
