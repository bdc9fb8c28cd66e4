// gomhc: the project's command-line program. Each job is a subcommand.
#include <cstring>
#include <iostream>

#include "autotune/autotune.h"
#include "compare/compare.h"
#include "inspect/inspect.h"
#include "prepare/prepare.h"
#include "spectrum/spectrum.h"
#include "synth/synth.h"
#include "train/train.h"

namespace {

const char *kUsage =
    "usage: gomhc <command> [options]\n"
    "commands:\n"
    "  autotune   search the kernels' schedules for this machine (gomhc autotune --help)\n"
    "  compare    train every method alike and compare validation losses (gomhc compare "
    "--help)\n"
    "  inspect    how a trained model uses its streams, with pictures (gomhc inspect --help)\n"
    "  prepare    text or the King James Bible to token shards for training (gomhc prepare "
    "--help)\n"
    "  synth      fit every method to the paper's synthetic stream-mixing task (gomhc synth "
    "--help)\n"
    "  train      train the GPT on token shards with any residual method (gomhc train --help)\n"
    "  sample     text from a trained GPT's checkpoint (gomhc sample --help)\n"
    "  spectrum   eigenvalues of sampled mixers against the Karpelevic region (gomhc spectrum "
    "--help)\n";

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    if (command == "autotune") {
        return gomhc::autotune::autotune_main(argc - 1, argv + 1);
    }
    if (command == "compare") {
        return gomhc::tools::compare::compare_main(argc - 1, argv + 1);
    }
    if (command == "inspect") {
        return gomhc::tools::inspect::inspect_main(argc - 1, argv + 1);
    }
    if (command == "prepare") {
        return gomhc::tools::prepare::prepare_main(argc - 1, argv + 1);
    }
    if (command == "train") {
        return gomhc::tools::train::train_main(argc - 1, argv + 1);
    }
    if (command == "sample") {
        return gomhc::tools::train::sample_main(argc - 1, argv + 1);
    }
    if (command == "synth") {
        return gomhc::tools::synth::synth_main(argc - 1, argv + 1);
    }
    if (command == "spectrum") {
        return gomhc::tools::spectrum::spectrum_main(argc - 1, argv + 1);
    }
    std::cerr << "gomhc: unknown command '" << command << "'\n" << kUsage;
    return 2;
}
