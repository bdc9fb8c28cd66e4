// llm.c's tokenizer file (trainer/tokenizer.h): decoding joins the tokens'
// bytes before the UTF-8 check, and malformed files or ids are refused with
// a message naming them.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gomhc/gomhc.hpp>
#include <string>
#include <vector>

#include "tokenizer.h"

namespace fs = std::filesystem;
using gomhc::trainer::Tokenizer;

namespace {

constexpr uint32_t kMagic = 20240328;

// A tokenizer file of `pieces`; `cut` drops that many bytes from its end.
fs::path write_tokenizer(const std::string &name, uint32_t magic, uint32_t version,
                         const std::vector<std::string> &pieces, uint32_t end_of_text,
                         size_t cut = 0) {
    const fs::path dir = fs::temp_directory_path() / "gomhc_test_tokenizer";
    fs::create_directories(dir);
    std::vector<uint32_t> header(256, 0);
    header[0] = magic;
    header[1] = version;
    header[2] = uint32_t(pieces.size());
    header[3] = end_of_text;
    std::string bytes(reinterpret_cast<const char *>(header.data()), header.size() * 4);
    for (const std::string &p : pieces) {
        bytes += char(uint8_t(p.size()));
        bytes += p;
    }
    bytes.resize(bytes.size() - cut);
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
    return dir / name;
}

std::string error_of(const fs::path &path) {
    try {
        Tokenizer::load(path);
    } catch (const gomhc::InvalidArgument &e) {
        return e.what();
    }
    return "";
}

const std::vector<std::string> kPieces = {"Hello", " w", "\xC3", "\xA9", "<|endoftext|>"};

}  // namespace

TEST_CASE("tokenizer: decodes by joining bytes, a character split over two tokens included") {
    const Tokenizer t = Tokenizer::load(write_tokenizer("good.bin", kMagic, 2, kPieces, 4));
    CHECK(t.vocab_size() == 5);
    CHECK(t.end_of_text() == 4);
    CHECK(t.decode({0, 1, 2, 3}) == "Hello w\xC3\xA9");
    CHECK(t.decode({0, 2}) == "Hello\xEF\xBF\xBD");  // half a character
    CHECK(t.decode({4}) == "<|endoftext|>");
    CHECK_THROWS_WITH_AS(t.decode({0, 5}), doctest::Contains("token id 5"), gomhc::InvalidArgument);
    // Version 1 files carry no end-of-text id: GPT-2's.
    CHECK(Tokenizer::load(write_tokenizer("v1.bin", kMagic, 1, kPieces, 0)).end_of_text() == 50256);
}

TEST_CASE("tokenizer: malformed files are refused naming the file and the problem") {
    CHECK(error_of("/nonexistent/gpt2_tokenizer.bin").find("cannot be opened") !=
          std::string::npos);
    CHECK(error_of(write_tokenizer("magic.bin", 20240520, 2, kPieces, 4)).find("magic 20240520") !=
          std::string::npos);
    CHECK(error_of(write_tokenizer("version.bin", kMagic, 3, kPieces, 4)).find("version 3") !=
          std::string::npos);
    const std::string truncated = error_of(write_tokenizer("cut.bin", kMagic, 2, kPieces, 4, 5));
    CHECK(truncated.find("truncated at token 4 of 5") != std::string::npos);
    CHECK(truncated.find("cut.bin") != std::string::npos);
    CHECK(error_of(write_tokenizer("header.bin", kMagic, 2, {}, 0, 100)).find("header") !=
          std::string::npos);
}
