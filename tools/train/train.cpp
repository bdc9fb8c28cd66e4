#include "train/train.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>

#include "checkpoint.h"
#include "common/cli.h"
#include "dataset.h"
#include "matmul.h"
#include "model_files.h"
#include "prepare/prepare.h"
#include "presets.h"
#include "sampling.h"
#include "token_shards.h"
#include "tokenizer.h"
#include "training.h"

namespace gomhc::tools::train {

namespace fs = std::filesystem;
using trainer::GptConfig;
using trainer::TrainSettings;

TrainSettings preset(const std::string &name) {
    try {
        return trainer::preset(name);
    } catch (const trainer::TrainError &e) {
        throw CLI::ValidationError("--preset", e.what());
    }
}

// Where the default corpus lives: $XDG_CACHE_HOME/gomhc/kjv, else
// ~/.cache/gomhc/kjv, prepared there on first use.
fs::path default_data(std::ostream &log) {
    fs::path base;
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
        base = xdg;
    } else if (const char *home = std::getenv("HOME"); home && *home) {
        base = fs::path(home) / ".cache";
    } else {
        base = fs::temp_directory_path();
    }
    const fs::path dir = base / "gomhc" / "kjv";
    if (!fs::exists(dir / "kjv_train.bin") || !fs::exists(dir / "kjv_val.bin")) {
        log << "gomhc train: no --data; preparing the King James Bible in " << dir.string() << "\n";
        prepare::prepare_shards({{}, true, dir.string(), "kjv", 0.05}, log);
    } else {
        log << "gomhc train: no --data; using the King James Bible in " << dir.string() << "\n";
    }
    return dir;
}

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

void install_stop_handler() {
    struct sigaction action = {};
    action.sa_handler = on_stop_signal;
    // A second signal takes the default action: the user can still force it.
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// With several ranks, each machine's ranks take its GPUs in turn (before
// anything opens CUDA); a CUDA_VISIBLE_DEVICES set by the user stands.
void share_gpus(const trainer::Ranks &ranks) {
    if (ranks.size() > 1 && !std::getenv("CUDA_VISIBLE_DEVICES")) {
        setenv("CUDA_VISIBLE_DEVICES", std::to_string(ranks.local_rank()).c_str(), 1);
    }
}

}  // namespace

const std::atomic<bool> *stop_on_signal() {
    install_stop_handler();
    return &g_stop;
}

int train_main(int argc, char **argv) {
    trainer::Ranks *world = nullptr;
    try {
        world = &trainer::Ranks::world();
    } catch (const std::exception &e) {
        std::cerr << "gomhc train: " << e.what() << "\n";
        return 2;
    }
    trainer::Ranks &ranks = *world;
    CLI::App app{
        "Train the GPT on token shards (default: the King James Bible), with any "
        "residual method. Flags override the preset's values.",
        "gomhc train"};
    std::string preset_name = "demo", method = "go", device = "cpu", data, out, init;
    GptConfig m;
    TrainSettings v;  // the values of the flags given
    bool resume = false, no_plot = false;
    app.add_option("--preset", preset_name, "demo, small, medium or gpt-30m")
        ->capture_default_str();
    auto *o_method = app.add_option("--method", method,
                                    "residual, hc, mhc, mhc-lite, kromhc, go or go-kron (preset: "
                                    "go)");
    auto *o_d = app.add_option("--d", m.d, "streams (preset: 4; residual: 1)");
    auto *o_s = app.add_option("--s", m.s, "go block size (preset: 2)");
    app.add_option("--data", data, "folder of token shards (default: the KJV, prepared once)");
    auto *o_vocab =
        app.add_option("--vocab", m.vocab, "vocabulary size (256 bytes; 50257 for GPT-2 shards)");
    auto *o_layers = app.add_option("--layers", m.layers, "blocks");
    auto *o_width = app.add_option("--width", m.width, "channels C");
    auto *o_heads = app.add_option("--heads", m.heads, "attention heads");
    auto *o_ctx = app.add_option("--ctx", m.context, "context length T");
    auto *o_seed = app.add_option("--seed", m.seed, "initialisation seed");
    std::string start = "home", output = "mean";
    app.add_option("--start", start,
                   "where the hyper-connections' gates start: home (sub-layer k favours stream "
                   "k mod d) or symmetric (every stream alike)")
        ->check(CLI::IsMember({"home", "symmetric"}))
        ->capture_default_str();
    app.add_option("--output", output,
                   "how the streams reach the head: mean (each stream normalised, then "
                   "averaged), sum (each normalised, then summed) or sum-then-norm (summed, "
                   "then one LayerNorm)")
        ->check(CLI::IsMember({"mean", "sum", "sum-then-norm"}))
        ->capture_default_str();
    auto *o_batch = app.add_option("--batch", v.batch, "sequences per micro-batch");
    auto *o_accum = app.add_option("--grad-accum", v.grad_accum, "micro-batches per step");
    auto *o_steps = app.add_option("--steps", v.steps, "optimizer steps");
    auto *o_lr = app.add_option("--lr", v.lr, "peak learning rate");
    auto *o_min_lr = app.add_option("--min-lr", v.min_lr, "learning rate at the end of the cosine");
    auto *o_warmup = app.add_option("--warmup", v.warmup, "steps of linear warmup");
    auto *o_wd = app.add_option("--weight-decay", v.weight_decay, "AdamW decay, matrices only");
    auto *o_clip = app.add_option("--clip", v.clip, "global gradient-norm clip (0: off)");
    auto *o_threads =
        app.add_option("--threads", v.threads,
                       "CPU threads per rank (0: the cores, shared by the machine's ranks)");
    app.add_option("--device", device, "cpu, cuda or opencl")
        ->check(CLI::IsMember(kDeviceNames))
        ->capture_default_str();
    app.add_option("--out", out, "the run's folder (default: runs/PRESET)");
    app.add_flag("--resume", resume, "continue the checkpoint in --out");
    app.add_option("--init", init, "start from these weights (.safetensors)")
        ->check(CLI::ExistingFile);
    auto *o_eval = app.add_option("--eval-every", v.eval_every, "steps between evaluations");
    auto *o_eval_b = app.add_option("--eval-batches", v.eval_batches, "validation batches");
    auto *o_sample = app.add_option("--sample-every", v.sample_every,
                                    "steps between printed samples (0: never)");
    auto *o_ckpt = app.add_option("--checkpoint-every", v.checkpoint_every,
                                  "steps between checkpoints (0: at the end only)");
    auto *o_log = app.add_option("--log-every", v.log_every, "steps between progress lines");
    app.add_flag("--no-plot", no_plot, "do not draw loss.png");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        if (!ranks.root()) {  // rank 0 prints it
            return e.get_exit_code() == 0 ? 0 : 2;
        }
        return app.exit(e) == 0 ? 0 : 2;
    }

    TrainSettings s;
    try {
        s = preset(preset_name);
        GptConfig &c = s.model;
        if (*o_method) {
            c.method = parse_method(method);
            if (!*o_d) {
                c.d = c.method == Method::residual ? 1 : c.d;
            }
        }
        const std::vector<std::pair<CLI::Option *, std::function<void()>>> overrides = {
            {o_d, [&] { c.d = m.d; }},
            {o_s, [&] { c.s = m.s; }},
            {o_vocab, [&] { c.vocab = m.vocab; }},
            {o_layers, [&] { c.layers = m.layers; }},
            {o_width, [&] { c.width = m.width; }},
            {o_heads, [&] { c.heads = m.heads; }},
            {o_ctx, [&] { c.context = m.context; }},
            {o_seed, [&] { c.seed = m.seed; }},
            {o_batch, [&] { s.batch = v.batch; }},
            {o_accum, [&] { s.grad_accum = v.grad_accum; }},
            {o_steps, [&] { s.steps = v.steps; }},
            {o_lr, [&] { s.lr = v.lr; }},
            {o_min_lr, [&] { s.min_lr = v.min_lr; }},
            {o_warmup, [&] { s.warmup = v.warmup; }},
            {o_wd, [&] { s.weight_decay = v.weight_decay; }},
            {o_clip, [&] { s.clip = v.clip; }},
            {o_threads, [&] { s.threads = v.threads; }},
            {o_eval, [&] { s.eval_every = v.eval_every; }},
            {o_eval_b, [&] { s.eval_batches = v.eval_batches; }},
            {o_sample, [&] { s.sample_every = v.sample_every; }},
            {o_ckpt, [&] { s.checkpoint_every = v.checkpoint_every; }},
            {o_log, [&] { s.log_every = v.log_every; }},
        };
        for (const auto &[option, apply] : overrides) {
            if (*option) {
                apply();
            }
        }
        c.symmetric_start = start == "symmetric";
        c.output = trainer::parse_stream_output(output, "--output");
        c.padded_vocab = trainer::padded_vocab_for(c.vocab);
        trainer::check_config(c);
    } catch (const CLI::ParseError &e) {
        if (!ranks.root()) {
            return 2;
        }
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const std::exception &e) {
        if (ranks.root()) {
            std::cerr << "gomhc train: " << e.what() << "\n";
        }
        return 2;
    }
    s.device = device_named(device);
    s.out = out.empty() ? fs::path("runs") / preset_name : fs::path(out);
    s.resume = resume;
    s.init = init;
    s.plot = !no_plot;

    try {
        if (data.empty()) {
            // Rank 0 prepares the corpus; the others then find it.
            std::ostream silent(nullptr);
            ranks.together([&] {
                if (ranks.root()) {
                    s.data = default_data(std::cout);
                }
            });
            ranks.together([&] {
                if (!ranks.root()) {
                    s.data = default_data(silent);
                }
            });
        } else {
            s.data = data;
        }
        if (s.device == Device::cuda) {
            share_gpus(ranks);
        }
        trainer::train(s, std::cout, stop_on_signal(), ranks, train_hooks());
        return 0;
    } catch (const trainer::AgreedError &e) {
        if (ranks.root()) {
            std::cerr << "gomhc train: " << e.what() << "\n";
        }
        return 1;
    } catch (const std::exception &e) {
        // This rank alone: say which, and end the others (no collective can
        // complete without it).
        std::cerr << "gomhc train: "
                  << (ranks.size() > 1 ? "rank " + std::to_string(ranks.rank()) + " of " +
                                             std::to_string(ranks.size()) + ": "
                                       : std::string())
                  << e.what() << "\n";
        ranks.abort(1);
        return 1;
    }
}

int sample_main(int argc, char **argv) {
    CLI::App app{"Print text generated by a trained GPT from its checkpoint.", "gomhc sample"};
    std::string checkpoint, prompt = "\n";
    trainer::SampleSettings ss;
    ss.temperature = 0.8;
    ss.top_k = 40;
    int threads = 0;
    app.add_option("--checkpoint", checkpoint, "a run's folder (gomhc train --out)")->required();
    std::string tokenizer_file;
    std::vector<int32_t> prompt_tokens;
    auto *o_prompt = app.add_option("--prompt", prompt, "text to continue (byte vocabularies)")
                         ->capture_default_str();
    app.add_option("--prompt-tokens", prompt_tokens,
                   "token ids to continue, e.g. 50256 (any vocabulary)")
        ->delimiter(',')
        ->excludes(o_prompt);
    app.add_option("--tokenizer", tokenizer_file,
                   "llm.c's tokenizer file (gpt2_tokenizer.bin) to decode a GPT-2 vocabulary")
        ->check(CLI::ExistingFile);
    app.add_option("--tokens", ss.tokens, "tokens to generate")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--temperature", ss.temperature, "0: always the most likely token")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--top-k", ss.top_k, "sample among the k most likely (0: all)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--seed", ss.seed, "sampling seed")->capture_default_str();
    app.add_option("--threads", threads, "CPU threads (0: every core)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        if (threads > 0) {
            set_num_threads(threads);
        }
        const fs::path dir = checkpoint;
        const trainer::CheckpointFiles files = trainer::read_checkpoint(dir);
        const GptConfig &config = files.state.config;
        trainer::Gpt gpt(config, 1);
        trainer::load_model_weights(gpt, files.model, (dir / "model.safetensors").string());
        std::optional<trainer::Tokenizer> tokenizer;
        if (!tokenizer_file.empty()) {
            tokenizer = trainer::Tokenizer::load(tokenizer_file);
            if (tokenizer->vocab_size() < config.vocab) {
                throw std::runtime_error("--tokenizer " + tokenizer_file + " has " +
                                         std::to_string(tokenizer->vocab_size()) +
                                         " tokens, fewer than the model's " +
                                         std::to_string(config.vocab));
            }
        }
        const bool bytes = config.vocab == 256 && !tokenizer;
        std::vector<int32_t> ids = prompt_tokens;
        if (ids.empty() && bytes) {
            if (prompt.empty()) {
                throw std::runtime_error("--prompt is empty");
            }
            for (uint16_t b : trainer::byte_tokens(prompt)) {
                ids.push_back(b);
            }
        } else if (ids.empty()) {
            if (o_prompt->count() > 0) {
                throw std::runtime_error(
                    "--prompt: the checkpoint's vocabulary has " + std::to_string(config.vocab) +
                    " tokens, not bytes, and gomhc cannot encode text into it (the tokenizer "
                    "file has no BPE merges); give token ids with --prompt-tokens");
            }
            // Unconditional generation from end-of-text, as llm.c samples.
            ids.push_back(tokenizer ? tokenizer->end_of_text() : int32_t(config.vocab - 1));
        }
        const std::vector<int32_t> out = trainer::generate(gpt, ids, ss);
        if (bytes) {
            std::cout << trainer::decode_bytes(ids) << trainer::decode_bytes(out) << "\n";
        } else if (tokenizer) {
            std::cout << tokenizer->decode(ids) << tokenizer->decode(out) << "\n";
        } else {
            std::cerr << "gomhc sample: the vocabulary has " << config.vocab
                      << " tokens, not bytes; printing token ids (give --tokenizer "
                         "gpt2_tokenizer.bin to decode them)\n";
            for (int32_t id : out) {
                std::cout << id << " ";
            }
            std::cout << "\n";
        }
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "gomhc sample: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace gomhc::tools::train
