// The JSON a checkpoint keeps: the model config (in state.json and in
// model.safetensors' metadata) and state.json itself, the checkpoint's
// commit record (docs/trainer.md, "Files"). Apart from the model, so the
// readers link and are fuzzed without the kernels (tests/fuzz).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "gpt_config.h"

namespace gomhc::trainer {

nlohmann::json config_json(const GptConfig &config);
// Throws CheckpointError naming `where` and the field ("config.width") when
// one is missing or of the wrong type or sign, or the method is unknown.
// Whether the values make a model is check_config's to say.
GptConfig config_from_json(const nlohmann::json &json, const std::string &where,
                           const std::string &path = "config");

struct CheckpointState {
    nlohmann::json json;  // the whole file
    int64_t step = 0;     // optimizer steps done
    GptConfig config;
    std::map<std::string, uint32_t> checksums;  // CRC-32 of model and optimizer files
    nlohmann::json run;  // the run's settings (an object; empty in older checkpoints)
};
// Parses state.json's text, checking every field the trainer uses; throws
// CheckpointError naming `where` and the field.
CheckpointState parse_state(const std::string &text, const std::string &where);

}  // namespace gomhc::trainer
