// What the training tests share: scratch folders, tiny token shards, a
// tiny GPT's settings, and error helpers.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <string>

#include "checkpoint.h"
#include "token_shards.h"
#include "training.h"

namespace gomhc_test {

namespace fs = std::filesystem;
using gomhc::Method;
using gomhc::trainer::TrainResult;
using gomhc::trainer::TrainSettings;

// A fresh scratch folder per test case.
inline fs::path scratch(const std::string &name) {
    const fs::path dir = fs::temp_directory_path() / ("gomhc_test_train_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Shards of a text with structure to learn (a repeated verse with counters).
inline fs::path write_shards(const fs::path &dir, size_t train_tokens = 20000,
                             size_t val_tokens = 2000) {
    std::string text;
    for (int i = 0; text.size() < train_tokens + val_tokens; i++) {
        text += "In the beginning " + std::to_string(i % 97) + " was the word.\n";
    }
    const auto tokens = gomhc::trainer::byte_tokens(text);
    const fs::path data = dir / "data";
    fs::create_directories(data);
    gomhc::trainer::write_shard(data / "tiny_train.bin",
                                {tokens.begin(), tokens.begin() + long(train_tokens)});
    gomhc::trainer::write_shard(
        data / "tiny_val.bin",
        {tokens.begin() + long(train_tokens), tokens.begin() + long(train_tokens + val_tokens)});
    return data;
}

inline TrainSettings tiny_settings(const fs::path &data, const fs::path &out) {
    TrainSettings s;
    s.model.layers = 2;
    s.model.width = 32;
    s.model.heads = 2;
    s.model.context = 16;
    s.model.method = Method::go;
    s.model.d = 4;
    s.model.s = 2;
    s.data = data;
    s.out = out;
    s.batch = 4;
    s.grad_accum = 2;
    s.steps = 8;
    s.lr = 3e-3;
    s.warmup = 2;
    s.eval_every = 4;
    s.eval_batches = 2;
    s.threads = 1;
    s.log_every = 0;
    s.plot = false;
    return s;
}

// A run on the process's ranks (one, unless mpirun started the test), or on
// those given.
inline TrainResult run(const TrainSettings &s, const std::atomic<bool> *stop = nullptr,
                       gomhc::trainer::Ranks &ranks = gomhc::trainer::Ranks::world()) {
    std::ostringstream log;
    return gomhc::trainer::train(s, log, stop, ranks);
}

inline std::string file_bytes(const fs::path &path) { return gomhc::trainer::read_file(path); }

// Runs f, which must throw; returns the message.
template<typename F>
std::string error_of(F &&f) {
    try {
        f();
    } catch (const std::exception &e) {
        return e.what();
    }
    FAIL("no error was thrown");
    return {};
}

inline bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

}  // namespace gomhc_test
