// Writes the fuzz targets' seed corpora: valid files made by gomhc's own
// writers (a two-step run of the tiny model for the checkpoint files), so
// no binary seed is committed. Usage: gomhc_fuzz_seeds OUT_DIR GOOD_TUNED
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "model_files.h"
#include "targets/tiny_model.h"
#include "token_shards.h"
#include "training.h"

namespace fs = std::filesystem;
using namespace gomhc::trainer;

namespace {

void write(const fs::path &path, const std::string &bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string tokenizer_file(uint32_t version, const std::vector<std::string> &pieces) {
    std::vector<uint32_t> header(256, 0);
    header[0] = 20240328;
    header[1] = version;
    header[2] = uint32_t(pieces.size());
    header[3] = uint32_t(pieces.size() - 1);  // end-of-text: the last piece
    std::string bytes(reinterpret_cast<const char *>(header.data()), header.size() * 4);
    for (const std::string &p : pieces) {
        bytes += char(uint8_t(p.size()));
        bytes += p;
    }
    return bytes;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: gomhc_fuzz_seeds OUT_DIR GOOD_TUNED_FILE\n";
        return 2;
    }
    const fs::path out = argv[1];
    try {
        fs::remove_all(out);
        // token_shard: llm.c shards written by write_shard.
        fs::create_directories(out / "token_shard");
        std::vector<uint16_t> tokens;
        for (int i = 0; i < 64; i++) {
            tokens.push_back(uint16_t(i * 1031 % 65536));
        }
        write_shard(out / "token_shard" / "tokens.bin", tokens);
        write_shard(out / "token_shard" / "empty.bin", {});

        // tokenizer: versions 2 and 1, with a character split over two tokens.
        const std::vector<std::string> pieces = {"Hello",        " w", "\xC3",         "\xA9",
                                                 "\xE2\x82\xAC", "",   "<|endoftext|>"};
        write(out / "tokenizer" / "v2.bin", tokenizer_file(2, pieces));
        write(out / "tokenizer" / "v1.bin", tokenizer_file(1, pieces));

        // The checkpoint files of a real two-step run of the tiny model.
        const fs::path run = out / "run";
        std::vector<uint16_t> data;
        for (int i = 0; i < 400; i++) {
            data.push_back(uint16_t(i * 7 % 4));
        }
        fs::create_directories(run / "data");
        write_shard(run / "data" / "tiny_train.bin", data);
        write_shard(run / "data" / "tiny_val.bin", data);
        TrainSettings s;
        s.model = gomhc_fuzz::tiny_config();
        s.data = run / "data";
        s.out = run / "out";
        s.batch = 1;
        s.steps = 2;
        s.eval_batches = 1;
        s.threads = 1;
        s.log_every = 0;
        s.plot = false;
        std::ostringstream log;
        train(s, log);
        for (const char *name : {"model.safetensors", "optimizer.safetensors", "state.json"}) {
            const std::string target = std::string(name) == "state.json" ? "state_json"
                                       : std::string(name) == "model.safetensors"
                                           ? "model_file"
                                           : "optimizer_file";
            write(out / target / name, read_file(s.out / name));
        }
        // Smaller files of the same formats.
        const std::vector<float> w(528, 0.25f);
        write(out / "model_file" / "embeddings.safetensors",
              safetensors_bytes({{"wte", {128, 4}, w.data()}, {"wpe", {4, 4}, w.data() + 512}},
                                {{"format", "gomhc-gpt"}}));
        const std::vector<float> m = {0.5f, -1, 2}, v = {0.25f, 1, 0};
        write(out / "optimizer_file" / "three.safetensors",
              safetensors_bytes({{"exp_avg", {3}, m.data()}, {"exp_avg_sq", {3}, v.data()}}, {}));
        fs::remove_all(run);

        // tuned_file: the tests' valid file, and the least one.
        fs::create_directories(out / "tuned_file");
        fs::copy_file(argv[2], out / "tuned_file" / "good.tuned");
        write(out / "tuned_file" / "least.tuned", "format 1\ntarget cpu\n");

        // cli_lists: the first byte picks the parser (even: methods, odd: --d).
        write(out / "cli_lists" / "methods", std::string("\0go,go:1,mhc,mhc-lite:2", 23));
        write(out / "cli_lists" / "d_list",
              "\x01"
              "2,4,8,16");
    } catch (const std::exception &e) {
        std::cerr << "gomhc_fuzz_seeds: " << e.what() << "\n";
        return 1;
    }
    std::cout << "gomhc_fuzz_seeds: wrote the seed corpora in " << out.string() << "\n";
    return 0;
}
