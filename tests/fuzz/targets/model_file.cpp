// Fuzz target: model weights (model.safetensors, --init): the safetensors
// parser and the checks of load_model_weights (names, shapes, finiteness)
// for the tiny model's embeddings. Refused: CheckpointError naming the file.
#include <algorithm>
#include <cmath>
#include <string>

#include "checkpoint.h"
#include "fuzz_support.h"
#include "tiny_model.h"
#include "weights_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    const auto layout = tiny_embeddings();
    const int64_t count = layout.back().offset + layout.back().shape[0] * layout.back().shape[1];
    try {
        // Every tensor accepted holds exactly its shape's elements.
        for (const auto &[name, t] :
             gomhc::trainer::parse_safetensors(bytes, "model.safetensors").tensors) {
            // The product of the extents, saturating at 2^64 (no file holds that).
            const unsigned __int128 too_many = (unsigned __int128)(1) << 64;
            unsigned __int128 count = 1;
            bool empty = false;
            for (int64_t e : t.shape) {
                require(e >= 0, "negative extent accepted in " + name);
                empty = empty || e == 0;
                count = count >= too_many / uint64_t(std::max<int64_t>(e, 1))
                            ? too_many
                            : count * uint64_t(std::max<int64_t>(e, 1));
            }
            require((empty ? 0 : count) == t.data.size(),
                    "tensor " + name + " holds another count than its shape");
        }
        const auto weights =
            gomhc::trainer::weights_from_file(bytes, layout, count, "model.safetensors");
        require(int64_t(weights.size()) == count, "wrong weight count");
        for (float w : weights) {
            require(std::isfinite(w), "a non-finite weight was accepted");
        }
    } catch (const gomhc::trainer::CheckpointError &e) {
        require(std::string(e.what()).rfind("model.safetensors: ", 0) == 0 ||
                    std::string(e.what()).rfind("model.safetensors (", 0) == 0,
                std::string("the message does not start with the file: ") + e.what());
    }
    return 0;
}
