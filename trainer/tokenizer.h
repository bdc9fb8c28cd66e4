// Decoding of token ids through llm.c's tokenizer file (gpt2_tokenizer.bin,
// written by llm.c's data scripts): a header of 256 uint32 (magic 20240328,
// version 1 or 2, vocabulary size, and in version 2 the end-of-text id),
// then per token one length byte and that many bytes. Like llm.c, it only
// decodes: encoding GPT-2 text needs the BPE merges, which the file lacks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gomhc::trainer {

class Tokenizer {
public:
    // Throws InvalidArgument naming the file and the problem (missing file,
    // wrong magic or version, truncated table).
    static Tokenizer load(const std::filesystem::path &path);

    int64_t vocab_size() const { return int64_t(pieces_.size()); }
    // The end-of-text id (version 1 files carry none: GPT-2's 50256 then).
    int32_t end_of_text() const { return end_of_text_; }
    // The tokens' bytes joined and made valid UTF-8 (a character split over
    // two tokens survives; invalid bytes become U+FFFD). Throws
    // InvalidArgument for an id outside the table.
    std::string decode(const std::vector<int32_t> &tokens) const;

private:
    std::filesystem::path path_;
    std::vector<std::string> pieces_;
    int32_t end_of_text_ = 50256;
};

}  // namespace gomhc::trainer
