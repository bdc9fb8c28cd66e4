// Fuzz target: AdamW's moments (optimizer.safetensors): the safetensors
// parser and the checks of load_optimizer. The count asked for is the
// first moment's own, so the checks past the names and shapes are reached.
#include <cmath>
#include <string>

#include "checkpoint.h"
#include "fuzz_support.h"
#include "weights_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    int64_t n = 1;
    try {
        const auto file = gomhc::trainer::parse_safetensors(bytes, "optimizer.safetensors");
        const auto it = file.tensors.find("exp_avg");
        if (it != file.tensors.end() && it->second.shape.size() == 1) {
            n = it->second.shape[0];
        }
    } catch (const gomhc::trainer::CheckpointError &) {
    }
    try {
        const auto moments = gomhc::trainer::moments_from_file(bytes, n, "optimizer.safetensors");
        require(int64_t(moments.first.size()) == n && int64_t(moments.second.size()) == n,
                "wrong moment count");
        for (int64_t i = 0; i < n; i++) {
            require(std::isfinite(moments.first[size_t(i)]) &&
                        std::isfinite(moments.second[size_t(i)]) && moments.second[size_t(i)] >= 0,
                    "a bad moment was accepted");
        }
    } catch (const gomhc::trainer::CheckpointError &e) {
        require(std::string(e.what()).rfind("optimizer.safetensors", 0) == 0,
                std::string("the message does not start with the file: ") + e.what());
    }
    return 0;
}
