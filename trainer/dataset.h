// The trainer's data: every token shard of a folder (llm.c's naming: files
// ending in .bin whose names hold "_train" or "_val"), read whole, and the
// batches cut from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gomhc::trainer {

struct Dataset {
    std::vector<uint16_t> train, val;
    std::vector<std::filesystem::path> train_files, val_files;
};

// Reads the shards of `dir` in name order. Throws ShardError naming the
// folder or file: missing folder, no training or validation shard, a bad
// shard, a token id at or above `vocab` (naming the file and position).
Dataset load_dataset(const std::filesystem::path &dir, int64_t vocab);

// Batch i of `batch` sequences of t tokens (inputs) and the same shifted by
// one (targets): consecutive windows from position (i * batch * t) wrapped
// into the data, so batch i is a pure function of i (a resumed run sees the
// batches an uninterrupted one would).
class Batches {
public:
    // Throws ShardError when the data holds fewer than batch * t + 1 tokens.
    Batches(const std::vector<uint16_t> &tokens, int64_t batch, int64_t t, const std::string &what);
    void fill(int64_t index, std::vector<int32_t> &inputs, std::vector<int32_t> &targets) const;

private:
    const std::vector<uint16_t> *tokens_;
    int64_t batch_, t_;
};

}  // namespace gomhc::trainer
