// gomhc: the project's command-line program. Each job is a subcommand.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

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

// `gomhc autotune ...` is gomhc-autotune, beside this program
// (tools/autotune/autotune_program.cpp says why it is apart).
int run_autotune(int argc, char **argv) {
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    const std::filesystem::path tuner = self.parent_path() / "gomhc-autotune";
    std::vector<char *> args;
    std::string program = tuner.string();
    args.push_back(program.data());
    for (int i = 2; i < argc; i++) {
        args.push_back(argv[i]);
    }
    args.push_back(nullptr);
    if (!error) {
        execv(program.c_str(), args.data());
    }
    std::cerr << "gomhc autotune: cannot run " << program << ": "
              << (error ? error.message() : std::strerror(errno))
              << " (the tuner is installed beside gomhc)\n";
    return 1;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    if (command == "autotune") {
        return run_autotune(argc, argv);
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
