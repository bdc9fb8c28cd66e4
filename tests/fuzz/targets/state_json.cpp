// Fuzz target: state.json (trainer/checkpoint_state.h, parse_state), the record a
// resume and `gomhc sample` trust. Accepted: every field in range (checked
// again here). Refused: CheckpointError naming the file.
#include <string>

#include "checkpoint.h"
#include "fuzz_support.h"
#include "checkpoint_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    const std::string text(reinterpret_cast<const char *>(data), size);
    try {
        const auto state = gomhc::trainer::parse_state(text, "state.json");
        const auto &c = state.config;
        require(state.step >= 0, "negative step accepted");
        require(c.vocab >= 1 && c.padded_vocab >= 1 && c.layers >= 1 && c.width >= 1 &&
                    c.heads >= 1 && c.context >= 1 && c.d >= 1 && c.s >= 1,
                "a config field below 1 was accepted");
        require(state.checksums.size() == 2, "missing checksums accepted");
        require(state.run.is_object(), "a run that is not an object was accepted");
        // What a resume compares and writes back.
        gomhc::trainer::config_json(c).dump();
    } catch (const gomhc::trainer::CheckpointError &e) {
        require(std::string(e.what()).rfind("state.json: ", 0) == 0,
                std::string("the message does not start with the file: ") + e.what());
    }
    return 0;
}
