// Token shards in llm.c's format, the trainer's data files: a header of 256
// little-endian int32 (magic 20240520, version 1, the token count, the rest
// zero) followed by that many uint16 tokens. Shards written by llm.c's own
// data scripts (GPT-2 tokens) read as they are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace gomhc::trainer {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr int kShardHeaderInts = 256;

// A shard that cannot be read or written; the message names the file and
// the problem.
class ShardError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Writes `tokens` to `path` through a temporary file renamed into place, so a
// failed write never leaves a half-written shard.
void write_shard(const std::filesystem::path &path, const std::vector<uint16_t> &tokens);

// Reads a whole shard, checking the magic, the version and that the file
// holds exactly the tokens its header announces.
std::vector<uint16_t> read_shard(const std::filesystem::path &path);

// Byte-level tokens (vocabulary 256) of a text, one token per byte.
std::vector<uint16_t> byte_tokens(const std::string &text);

}  // namespace gomhc::trainer
