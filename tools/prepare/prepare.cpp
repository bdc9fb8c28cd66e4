#include "prepare/prepare.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "token_shards.h"

namespace gomhc::tools::prepare {

namespace fs = std::filesystem;
using trainer::byte_tokens;
using trainer::write_shard;

namespace {

// The embedded default corpus: the King James Bible of Debian's bible-kjv
// package, every verse from Genesis 1:1 to Revelation 22:21 as `bible`
// prints it (about 4.3 MB).
constexpr const char *kKjvCommand = "bible gen1:1-rev22:21 2>/dev/null";
constexpr size_t kKjvMinimumBytes = size_t(1) << 20;

std::string read_text(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read --text file " + path.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string kjv_text() {
    FILE *pipe = popen(kKjvCommand, "r");
    if (pipe == nullptr) {
        throw std::runtime_error("cannot run `bible` for --kjv");
    }
    std::string text;
    char buffer[1 << 16];
    for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
        text.append(buffer, n);
    }
    const int status = pclose(pipe);
    if (status != 0 || text.size() < kKjvMinimumBytes) {
        throw std::runtime_error(
            "--kjv needs the `bible` program of Debian's bible-kjv package (scripts/bootstrap.sh "
            "installs it); `" +
            std::string(kKjvCommand) + "` gave " + std::to_string(text.size()) + " bytes");
    }
    return text;
}

}  // namespace

void prepare_shards(const PrepareRequest &request, std::ostream &log) {
    std::string text;
    for (const std::string &path : request.texts) {
        text += read_text(path);
    }
    if (request.kjv) {
        text = kjv_text();
    }
    const std::string name = request.name.empty() ? (request.kjv ? "kjv" : "text") : request.name;
    const std::vector<uint16_t> tokens = byte_tokens(text);
    const double val_fraction = request.val_fraction;
    const size_t val = size_t(double(tokens.size()) * val_fraction);
    if (tokens.empty()) {
        throw std::runtime_error("the input is empty: nothing to prepare");
    }
    if (val_fraction > 0 && (val == 0 || val == tokens.size())) {
        throw std::runtime_error("the input has " + std::to_string(tokens.size()) +
                                 " tokens: too few to keep a --val-fraction of " +
                                 std::to_string(val_fraction) + " for validation");
    }
    const fs::path out = request.out;
    fs::create_directories(out);
    const fs::path train_path = out / (name + "_train.bin");
    const fs::path val_path = out / (name + "_val.bin");
    const size_t train = tokens.size() - val;
    write_shard(train_path, std::vector<uint16_t>(tokens.begin(), tokens.begin() + train));
    write_shard(val_path, std::vector<uint16_t>(tokens.begin() + train, tokens.end()));

    nlohmann::json meta = {
        {"format", "llm.c token shard, version 1"},
        {"tokenizer", "bytes"},
        {"vocab_size", 256},
        {"source", request.kjv ? nlohmann::json("bible-kjv") : nlohmann::json(request.texts)},
        {"train", {{"file", train_path.filename()}, {"tokens", train}}},
        {"val", {{"file", val_path.filename()}, {"tokens", val}}},
        {"val_fraction", val_fraction}};
    std::ofstream(out / (name + ".json")) << meta.dump(2) << "\n";
    log << "gomhc prepare: " << train << " training tokens -> " << train_path.string()
        << "\n               " << val << " validation tokens -> " << val_path.string() << "\n";
}

int prepare_main(int argc, char **argv) {
    CLI::App app{
        "Turn text into the trainer's token shards (llm.c's format: a 256-int32 header, then "
        "uint16 tokens), one token per byte, the last --val-fraction of it as validation data.",
        "gomhc prepare"};
    std::vector<std::string> texts;
    bool kjv = false;
    std::string out, name;
    double val_fraction = 0.05;
    auto *text_option = app.add_option("--text", texts, "text files, concatenated in order")
                            ->check(CLI::ExistingFile);
    auto *kjv_option =
        app.add_flag("--kjv", kjv, "the King James Bible of Debian's bible-kjv package");
    text_option->excludes(kjv_option);
    app.add_option("--out", out, "folder for the shards (created if missing)")->required();
    app.add_option("--val-fraction", val_fraction, "share of the tokens kept for validation")
        ->check(CLI::Range(0.0, 0.5))
        ->capture_default_str();
    app.add_option("--name", name, "shard name prefix (default: kjv, or text)");
    try {
        app.parse(argc, argv);
        if (texts.empty() && !kjv) {
            throw CLI::RequiredError("--text FILE... or --kjv");
        }
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    try {
        prepare_shards({texts, kjv, out, name, val_fraction}, std::cout);
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "gomhc prepare: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace gomhc::tools::prepare
