// The trainer's files in its output folder (docs/trainer.md, "Files"):
//   model.safetensors      the weights, tensor names of Gpt::layout(), the
//                          model config as JSON in __metadata__["config"]
//   optimizer.safetensors  AdamW's moments "exp_avg" and "exp_avg_sq" [N]
//   state.json             steps done, config, checksums of both files
#pragma once

#include <filesystem>
#include <gomhc/gomhc.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint_state.h"
#include "gpt.h"

namespace gomhc::trainer {

// A view's floats, in any device's memory, copied to the host.
std::vector<float> host_copy(const TensorView &view);
// The weights as safetensors bytes (downloaded from the model's device).
std::string model_bytes(Gpt &gpt);
// Loads weights by name into the model; every tensor must be there with its
// shape, and finite. Throws CheckpointError naming the file and tensor.
void load_model_weights(Gpt &gpt, const std::string &bytes, const std::string &where);

std::string optimizer_bytes(Adamw &opt, int64_t num_params);
// Loads AdamW's moments: "exp_avg" and "exp_avg_sq" of num_params floats,
// finite, the second moment never negative.
void load_optimizer(Adamw &opt, int64_t num_params, const std::string &bytes,
                    const std::string &where);

// Reads DIR/state.json and checks both files against its checksums, first
// finishing a save that stopped after its commit; returns the state and the
// files. Throws CheckpointError naming the file and the problem.
struct CheckpointFiles {
    CheckpointState state;
    std::string model, optimizer;  // the files' bytes
};
CheckpointFiles read_checkpoint(const std::filesystem::path &dir);
// Writes the set so that a stop at any point leaves either the old or the new
// checkpoint readable: both files under pending names (NAME.next), then
// state.json with their checksums (the commit), then the renames. Weights
// that are not finite are not saved: CheckpointError names the tensor and
// the old checkpoint stays.
void write_checkpoint(const std::filesystem::path &dir, Gpt &gpt, Adamw &opt, nlohmann::json state);

}  // namespace gomhc::trainer
