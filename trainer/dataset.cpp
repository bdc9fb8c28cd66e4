#include "dataset.h"

#include <algorithm>

#include "token_shards.h"

namespace gomhc::trainer {

namespace fs = std::filesystem;

namespace {

void append_checked(const fs::path &file, int64_t vocab, std::vector<uint16_t> &out) {
    const std::vector<uint16_t> tokens = read_shard(file);
    for (size_t i = 0; i < tokens.size(); i++) {
        if (tokens[i] >= vocab) {
            throw ShardError(file.string() + ": token " + std::to_string(i) + " is " +
                             std::to_string(tokens[i]) + ", at or above the vocabulary of " +
                             std::to_string(vocab) + " (pass --vocab for GPT-2 shards)");
        }
    }
    out.insert(out.end(), tokens.begin(), tokens.end());
}

}  // namespace

Dataset load_dataset(const fs::path &dir, int64_t vocab) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw ShardError("--data " + dir.string() + ": no such folder");
    }
    Dataset data;
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".bin") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path &file : files) {
        const std::string name = file.filename().string();
        if (name.find("_train") != std::string::npos) {
            data.train_files.push_back(file);
        } else if (name.find("_val") != std::string::npos) {
            data.val_files.push_back(file);
        }
    }
    if (data.train_files.empty() || data.val_files.empty()) {
        throw ShardError("--data " + dir.string() + ": expected token shards named *_train*.bin " +
                         "and *_val*.bin (gomhc prepare writes them); found " +
                         std::to_string(data.train_files.size()) + " training and " +
                         std::to_string(data.val_files.size()) + " validation shards");
    }
    for (const fs::path &file : data.train_files) {
        append_checked(file, vocab, data.train);
    }
    for (const fs::path &file : data.val_files) {
        append_checked(file, vocab, data.val);
    }
    return data;
}

Batches::Batches(const std::vector<uint16_t> &tokens, int64_t batch, int64_t t,
                 const std::string &what)
    : tokens_(&tokens), batch_(batch), t_(t) {
    if (int64_t(tokens.size()) < batch * t + 1) {
        throw ShardError("the " + what + " data holds " + std::to_string(tokens.size()) +
                         " tokens, fewer than --batch x --ctx + 1 = " +
                         std::to_string(batch * t + 1) + ": use a smaller --batch or --ctx");
    }
}

void Batches::fill(int64_t index, std::vector<int32_t> &inputs,
                   std::vector<int32_t> &targets) const {
    const int64_t window = batch_ * t_;
    const int64_t starts = int64_t(tokens_->size()) - window;  // valid first positions
    const int64_t first = int64_t((uint64_t(index) * uint64_t(window)) % uint64_t(starts));
    inputs.resize(size_t(window));
    targets.resize(size_t(window));
    for (int64_t i = 0; i < window; i++) {
        inputs[size_t(i)] = (*tokens_)[size_t(first + i)];
        targets[size_t(i)] = (*tokens_)[size_t(first + i + 1)];
    }
}

}  // namespace gomhc::trainer
