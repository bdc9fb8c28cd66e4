#include "run_setup.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <sstream>
#include <thread>

#include "matmul.h"

namespace gomhc::trainer {

namespace fs = std::filesystem;

namespace {

void check_settings(const TrainSettings &s) {
    const auto at_least = [](const char *flag, double value, double low) {
        if (!(value >= low)) {
            std::ostringstream msg;
            msg << flag << " = " << value << ", expected >= " << low;
            throw TrainError(msg.str());
        }
    };
    // The optimizer computes in float: a value past its range is infinite there.
    const auto a_float = [](const char *flag, double value) {
        if (!(std::fabs(value) <= double(FLT_MAX))) {
            std::ostringstream msg;
            msg << flag << " = " << value << ", expected a finite value within a float's range ("
                << FLT_MAX << ")";
            throw TrainError(msg.str());
        }
    };
    a_float("--lr", s.lr);
    a_float("--min-lr", s.min_lr);
    a_float("--weight-decay", s.weight_decay);
    a_float("--clip", s.clip);
    at_least("--batch", double(s.batch), 1);
    at_least("--grad-accum", double(s.grad_accum), 1);
    at_least("--steps", double(s.steps), 1);
    at_least("--lr", s.lr, 0);
    at_least("--min-lr", s.min_lr, 0);
    at_least("--warmup", double(s.warmup), 0);
    at_least("--weight-decay", s.weight_decay, 0);
    at_least("--clip", s.clip, 0);
    at_least("--threads", s.threads, 0);
    at_least("--eval-every", double(s.eval_every), 0);
    at_least("--eval-batches", double(s.eval_batches), 1);
    at_least("--sample-every", double(s.sample_every), 0);
    at_least("--checkpoint-every", double(s.checkpoint_every), 0);
    if (s.min_lr > s.lr) {
        throw TrainError("--min-lr is above --lr");
    }
    if (s.out.empty()) {
        throw TrainError("--out: no output folder given");
    }
    if (s.device == Device::cuda && !(cuda_available() && cuda_blas_built())) {
        throw TrainError(std::string("--device cuda: ") +
                         (cuda_blas_built() ? "no usable GPU here"
                                            : "this build has no cuBLAS (no CUDA toolkit)"));
    }
    if (s.device == Device::opencl && !(opencl_blas_built() && opencl_available())) {
        throw TrainError(std::string("--device opencl: ") +
                         (opencl_blas_built() ? opencl_unavailable_reason()
                                              : "this build has no CLBlast (libclblast-dev)"));
    }
    try {
        check_config(s.model);
    } catch (const Error &e) {
        throw TrainError(e.what());
    }
}

// A folder holding a run: refuse to start over it unless resuming. Returns
// whether there is a checkpoint to resume: a run stopped before its first
// save (metrics.jsonl, no state.json) resumes from step 0.
bool check_out_folder(const TrainSettings &s) {
    const bool has_state = fs::exists(s.out / "state.json");
    const bool has_metrics = fs::exists(s.out / "metrics.jsonl");
    if (s.resume && !has_state && !has_metrics) {
        throw TrainError("--resume: " + s.out.string() + " holds no checkpoint (no state.json)");
    }
    if (!s.resume && (has_state || has_metrics)) {
        throw TrainError("--out " + s.out.string() +
                         " already holds a run; pass --resume to continue it, or choose another "
                         "--out (nothing was written)");
    }
    return s.resume && has_state;
}

}  // namespace

Run::Run(const TrainSettings &s, Ranks &r, std::ostream &root_log)
    : settings(s),
      ranks(r),
      log(root_log),
      world(r.size()),
      micro_per_step(s.grad_accum * r.size()),
      tokens_per_step(s.batch * micro_per_step * s.model.context) {
    ranks.together([&] {
        check_settings(s);
        data.emplace(load_dataset(s.data, s.model.vocab));
        train_batches.emplace(data->train, s.batch, s.model.context, "training");
        val_batches.emplace(data->val, s.batch, s.model.context, "validation");
        from_checkpoint = check_out_folder(s);
    });
}

std::string Run::kept() const {
    const std::string out = settings.out.string();
    return last_saved < 0 ? "no checkpoint was saved yet in " + out
                          : "the last checkpoint in " + out + " (step " +
                                std::to_string(last_saved) + ") is kept as it was";
}

void Run::fail(const std::string &message) const {
    if (world > 1) {
        throw AgreedError(message);
    }
    throw TrainError(message);
}

RunThreads start_threads(const Run &run, const TrainHooks &hooks) {
    RunThreads t;
    t.count = run.settings.threads > 0
                  ? run.settings.threads
                  : std::max(1, int(std::thread::hardware_concurrency()) / run.ranks.local_size());
    t.fma_peak = hooks.fma_peak ? hooks.fma_peak(t.count) : 0.0;
    set_num_threads(t.count);  // the kernels' pool, which also runs the host's products
    return t;
}

void build_model(Run &run) {
    run.ranks.together([&] {
        run.gpt.emplace(run.settings.model, run.settings.batch, run.settings.device);
        run.opt.emplace(run.gpt->num_params(), run.gpt->decayed_ranges(), run.settings.device);
    });
    run.grad_sq = DeviceMemory(run.settings.device, 1);
}

}  // namespace gomhc::trainer
