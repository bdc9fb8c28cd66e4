#include "presets.h"

namespace gomhc::trainer {

namespace {

struct Preset {
    const char *name;
    int64_t layers, width, heads, context, vocab, batch, grad_accum, steps;
    double lr, min_lr;
    int64_t warmup, eval_every, eval_batches, log_every, checkpoint_every;
};
constexpr Preset kPresets[] = {
    // the README's main job: a visible loss drop in minutes on 2 cores
    {"demo", 4, 128, 4, 64, 256, 8, 1, 1500, 3e-3, 3e-4, 30, 250, 4, 50, 0},
    // the CPU comparison sizes
    {"small", 4, 128, 4, 128, 256, 16, 1, 2000, 1e-3, 1e-4, 100, 200, 8, 20, 0},
    {"medium", 6, 384, 6, 256, 256, 8, 1, 2000, 1e-3, 1e-4, 100, 200, 8, 10, 0},
    // the paper's language-model scale (GPT-2 tokens), for a GPU
    {"gpt-30m", 6, 384, 6, 512, 50257, 32, 4, 20000, 1e-3, 1e-4, 500, 500, 20, 10, 1000},
};

}  // namespace

TrainSettings preset(const std::string &name) {
    for (const Preset &p : kPresets) {
        if (name != p.name) {
            continue;
        }
        TrainSettings s;
        GptConfig &m = s.model;
        m.method = Method::go;
        m.d = 4;
        m.s = 2;
        m.layers = p.layers;
        m.width = p.width;
        m.heads = p.heads;
        m.context = p.context;
        m.vocab = p.vocab;
        m.padded_vocab = padded_vocab_for(m.vocab);
        s.batch = p.batch;
        s.grad_accum = p.grad_accum;
        s.steps = p.steps;
        s.lr = p.lr;
        s.min_lr = p.min_lr;
        s.warmup = p.warmup;
        s.weight_decay = 0.1;
        s.clip = 1.0;
        s.eval_every = p.eval_every;
        s.eval_batches = p.eval_batches;
        s.log_every = p.log_every;
        s.checkpoint_every = p.checkpoint_every;
        return s;
    }
    throw TrainError("unknown preset '" + name + "' (expected demo, small, medium or gpt-30m)");
}

}  // namespace gomhc::trainer
