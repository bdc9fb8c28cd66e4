// Fuzz target: llm.c token shards (trainer/token_shards.h, read_shard).
// Accepted: exactly the header's tokens. Refused: ShardError naming the file.
#include <string>

#include "fuzz_support.h"
#include "token_shards.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    static const auto path = scratch_file("shard.bin");
    write_file(path, data, size);
    try {
        const auto tokens = gomhc::trainer::read_shard(path);
        require(size == 1024 + 2 * tokens.size(), "a shard of the wrong size was accepted");
    } catch (const gomhc::trainer::ShardError &e) {
        require(std::string(e.what()).find(path.string()) != std::string::npos,
                std::string("the message does not name the file: ") + e.what());
    }
    return 0;
}
