// Fuzz target: llm.c's tokenizer file (trainer/tokenizer.h). An accepted
// file decodes every one of its ids to valid UTF-8 and refuses the ids
// outside it; a refused one gets InvalidArgument naming the file.
#include "tokenizer.h"

#include <gomhc/gomhc.hpp>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    static const auto path = scratch_file("tokenizer.bin");
    write_file(path, data, size);
    gomhc::trainer::Tokenizer tokenizer;
    try {
        tokenizer = gomhc::trainer::Tokenizer::load(path);
    } catch (const gomhc::InvalidArgument &e) {
        require(std::string(e.what()).find(path.string()) != std::string::npos,
                std::string("the message does not name the file: ") + e.what());
        return 0;
    }
    const int64_t vocab = tokenizer.vocab_size();
    require(vocab >= 1 && vocab <= 65536, "vocabulary size out of range");
    require(tokenizer.end_of_text() >= 0, "negative end-of-text id");
    std::vector<int32_t> ids;
    for (int32_t id = 0; id < vocab; id++) {
        ids.push_back(id);
    }
    const std::string text = tokenizer.decode(ids);
    require(gomhc::trainer::valid_utf8(text) == text, "decode returned invalid UTF-8");
    for (const int32_t bad : {-1, int32_t(vocab)}) {
        try {
            tokenizer.decode({bad});
            finding("decode took id " + std::to_string(bad));
        } catch (const gomhc::InvalidArgument &) {
        }
    }
    return 0;
}
