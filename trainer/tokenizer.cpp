#include "tokenizer.h"

#include <array>
#include <fstream>
#include <gomhc/gomhc.hpp>

#include "utf8.h"

namespace gomhc::trainer {

namespace {

constexpr uint32_t kTokenizerMagic = 20240328;
constexpr size_t kHeaderWords = 256;

}  // namespace

Tokenizer Tokenizer::load(const std::filesystem::path &path) {
    const std::string where = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw InvalidArgument("tokenizer " + where + ": cannot be opened");
    }
    std::array<uint32_t, kHeaderWords> header{};
    if (!in.read(reinterpret_cast<char *>(header.data()), sizeof(header))) {
        throw InvalidArgument("tokenizer " + where + ": shorter than its 1024-byte header");
    }
    if (header[0] != kTokenizerMagic) {
        throw InvalidArgument("tokenizer " + where + ": magic " + std::to_string(header[0]) +
                              ", not llm.c's " + std::to_string(kTokenizerMagic));
    }
    if (header[1] != 1 && header[1] != 2) {
        throw InvalidArgument("tokenizer " + where + ": version " + std::to_string(header[1]) +
                              " (only 1 and 2 are known)");
    }
    Tokenizer t;
    t.path_ = path;
    const uint32_t count = header[2];
    if (count == 0 || count > 65536) {
        throw InvalidArgument("tokenizer " + where + ": vocabulary size " + std::to_string(count) +
                              " (1 to 65536 expected)");
    }
    if (header[1] == 2) {
        if (header[3] >= count) {
            throw InvalidArgument("tokenizer " + where + ": end-of-text id " +
                                  std::to_string(header[3]) + " is outside its " +
                                  std::to_string(count) + " tokens");
        }
        t.end_of_text_ = int32_t(header[3]);
    }
    t.pieces_.reserve(count);
    for (uint32_t i = 0; i < count; i++) {
        unsigned char length = 0;
        std::string piece;
        if (in.read(reinterpret_cast<char *>(&length), 1)) {
            piece.resize(length);
            in.read(piece.data(), length);
        }
        if (!in) {
            throw InvalidArgument("tokenizer " + where + ": truncated at token " +
                                  std::to_string(i) + " of " + std::to_string(count));
        }
        t.pieces_.push_back(std::move(piece));
    }
    return t;
}

std::string Tokenizer::decode(const std::vector<int32_t> &tokens) const {
    std::string bytes;
    for (int32_t id : tokens) {
        if (id < 0 || id >= vocab_size()) {
            throw InvalidArgument("tokenizer " + path_.string() + ": token id " +
                                  std::to_string(id) + " is outside its " +
                                  std::to_string(vocab_size()) + " tokens");
        }
        bytes += pieces_[size_t(id)];
    }
    return valid_utf8(bytes);
}

}  // namespace gomhc::trainer
