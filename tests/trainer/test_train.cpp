// The training loop (trainer/training.h) on a tiny GPT and tiny shards:
// two runs are bitwise identical, an interrupted and resumed run is bitwise
// the uninterrupted one, the loss falls, the schedule's ends, and every bad
// input is refused with a message naming it, writing nothing.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "dataset.h"
#include "model_files.h"
#include "token_shards.h"
#include "train_fixtures.h"
#include "training.h"

namespace fs = std::filesystem;
using gomhc::Method;
using gomhc::trainer::TrainError;
using gomhc::trainer::TrainResult;
using gomhc::trainer::TrainSettings;
using namespace gomhc_test;

TEST_CASE("train: the learning rate warms up linearly, then follows a cosine to min_lr") {
    TrainSettings s;
    s.steps = 110;
    s.warmup = 10;
    s.lr = 1e-3;
    s.min_lr = 1e-4;
    CHECK(gomhc::trainer::learning_rate(s, 0) == doctest::Approx(1e-4));
    CHECK(gomhc::trainer::learning_rate(s, 9) == doctest::Approx(1e-3));
    CHECK(gomhc::trainer::learning_rate(s, 10) == doctest::Approx(1e-3));
    CHECK(gomhc::trainer::learning_rate(s, 109) == doctest::Approx(1e-4));
    CHECK(gomhc::trainer::learning_rate(s, 60) < 6e-4);
}

TEST_CASE("train: two runs are bitwise identical and the loss falls") {
    const fs::path dir = scratch("twice");
    const fs::path data = write_shards(dir);
    TrainSettings a = tiny_settings(data, dir / "a");
    a.steps = 30;
    TrainSettings b = a;
    b.out = dir / "b";
    const TrainResult ra = run(a), rb = run(b);
    REQUIRE(ra.losses.size() == 30);
    CHECK(ra.losses == rb.losses);
    CHECK(file_bytes(a.out / "model.safetensors") == file_bytes(b.out / "model.safetensors"));
    CHECK(ra.losses.back() < ra.losses.front() - 1.0f);
    REQUIRE(ra.val_losses.size() >= 2);
    CHECK(ra.val_losses.back().second < ra.val_losses.front().second - 1.0f);
    CHECK(fs::exists(a.out / "metrics.jsonl"));
    CHECK(fs::exists(a.out / "optimizer.safetensors"));
}

TEST_CASE("train: a run stopped by the flag and resumed is bitwise the uninterrupted run") {
    const fs::path dir = scratch("resume");
    const fs::path data = write_shards(dir);
    const TrainSettings whole = tiny_settings(data, dir / "whole");
    const TrainResult full = run(whole);

    TrainSettings part = whole;
    part.out = dir / "part";
    const std::atomic<bool> stop{true};  // stops after the first step
    const TrainResult first = run(part, &stop);
    CHECK(first.interrupted);
    REQUIRE(first.steps_done == 1);
    part.resume = true;
    const TrainResult rest = run(part);
    CHECK(rest.first_step == 1);
    std::vector<float> joined = first.losses;
    joined.insert(joined.end(), rest.losses.begin(), rest.losses.end());
    CHECK(joined == full.losses);
    // The resumed call reports the whole run's validation losses, the ones
    // before the stop included.
    CHECK(rest.val_losses.size() < full.val_losses.size());
    CHECK(rest.run_val_losses == full.val_losses);
    CHECK(full.run_val_losses == full.val_losses);
    CHECK(file_bytes(part.out / "model.safetensors") ==
          file_bytes(whole.out / "model.safetensors"));
    CHECK(file_bytes(part.out / "optimizer.safetensors") ==
          file_bytes(whole.out / "optimizer.safetensors"));
    // metrics.jsonl holds each step once.
    std::ifstream metrics(part.out / "metrics.jsonl");
    int lines = 0;
    for (std::string line; std::getline(metrics, line);) {
        lines++;
    }
    CHECK(lines == 8 + 3);  // 8 steps, evaluations at 0, 4 and 8
}

TEST_CASE("train: a save stopped at any point leaves the old or the new checkpoint readable") {
    const fs::path dir = scratch("commit");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir / "old");
    s.steps = 4;
    run(s);
    TrainSettings t = tiny_settings(data, dir / "new");
    run(t);
    CHECK_FALSE(fs::exists(t.out / "model.safetensors.next"));
    CHECK_FALSE(fs::exists(t.out / "optimizer.safetensors.next"));
    const auto file = [](const fs::path &run, const std::string &name) {
        return file_bytes(run / name);
    };
    // Lays out a folder as a save would leave it when stopped: `finals` from
    // the old or new run under their names, pending files from the new run.
    const auto stopped = [&](const std::string &name, const fs::path &state, const fs::path &model,
                             const fs::path &optimizer, std::vector<std::string> pending) {
        const fs::path folder = dir / name;
        fs::create_directories(folder);
        std::ofstream(folder / "state.json", std::ios::binary) << file(state, "state.json");
        std::ofstream(folder / "model.safetensors", std::ios::binary)
            << file(model, "model.safetensors");
        std::ofstream(folder / "optimizer.safetensors", std::ios::binary)
            << file(optimizer, "optimizer.safetensors");
        for (const std::string &p : pending) {
            std::ofstream(folder / (p + ".next"), std::ios::binary) << file(t.out, p);
        }
        return folder;
    };
    SUBCASE("before the commit: the old set") {
        const fs::path f =
            stopped("before", s.out, s.out, s.out, {"model.safetensors", "optimizer.safetensors"});
        const auto read = gomhc::trainer::read_checkpoint(f);
        CHECK(read.state.step == 4);
        CHECK(read.model == file(s.out, "model.safetensors"));
    }
    SUBCASE("after the commit, nothing renamed yet: the new set, renames finished") {
        const fs::path f =
            stopped("after", t.out, s.out, s.out, {"model.safetensors", "optimizer.safetensors"});
        const auto read = gomhc::trainer::read_checkpoint(f);
        CHECK(read.state.step == 8);
        CHECK(read.model == file(t.out, "model.safetensors"));
        CHECK(read.optimizer == file(t.out, "optimizer.safetensors"));
        CHECK(file(f, "model.safetensors") == file(t.out, "model.safetensors"));
        CHECK_FALSE(fs::exists(f / "model.safetensors.next"));
    }
    SUBCASE("after the commit, the model renamed: the new set") {
        const fs::path f = stopped("half", t.out, t.out, s.out, {"optimizer.safetensors"});
        const auto read = gomhc::trainer::read_checkpoint(f);
        CHECK(read.optimizer == file(t.out, "optimizer.safetensors"));
        TrainSettings more = t;
        more.out = f;
        more.resume = true;
        more.steps = 9;
        CHECK(run(more).steps_done == 9);
    }
}

TEST_CASE("train: bad inputs are refused with a message naming them, writing nothing") {
    const fs::path dir = scratch("bad");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir / "out");

    SUBCASE("missing and empty data folders") {
        TrainSettings t = s;
        t.data = dir / "nowhere";
        CHECK(contains(error_of([&] { run(t); }), "no such folder"));
        fs::create_directories(dir / "empty");
        t.data = dir / "empty";
        CHECK(contains(error_of([&] { run(t); }), "expected token shards"));
        CHECK_FALSE(fs::exists(s.out));
    }
    SUBCASE("a context longer than the validation data") {
        const fs::path small = write_shards(dir / "small", 20000, 40);
        TrainSettings t = s;
        t.data = small;
        CHECK(contains(error_of([&] { run(t); }), "validation data holds 40 tokens"));
        CHECK_FALSE(fs::exists(s.out));
    }
    SUBCASE("a d the method refuses, and a bad flag value") {
        TrainSettings t = s;
        t.model.method = Method::kromhc;
        t.model.d = 3;
        CHECK(contains(error_of([&] { run(t); }), "kromhc"));
        t = s;
        t.grad_accum = 0;
        CHECK(contains(error_of([&] { run(t); }), "--grad-accum"));
        t = s;
        t.lr = 1e39;  // infinite as the float the optimizer computes in
        CHECK(contains(error_of([&] { run(t); }), "--lr = 1e+39"));
        CHECK_FALSE(fs::exists(s.out));
    }
    SUBCASE("an unwritable output folder") {
        std::ofstream(dir / "a_file") << "x";
        TrainSettings t = s;
        t.out = dir / "a_file" / "run";
        CHECK(contains(error_of([&] { run(t); }), "--out"));
    }
    SUBCASE("existing runs: refused without --resume, another configuration, a corrupted file") {
        run(s);
        const std::string state = file_bytes(s.out / "state.json");
        const std::string model = file_bytes(s.out / "model.safetensors");
        CHECK(contains(error_of([&] { run(s); }), "already holds a run"));

        TrainSettings other = s;
        other.resume = true;
        other.steps = 12;
        other.model.width = 48;
        CHECK(contains(error_of([&] { run(other); }), "another configuration"));

        TrainSettings more = s;
        more.resume = true;
        more.steps = 12;
        std::string corrupted = model;
        corrupted[corrupted.size() / 2] ^= 0x40;
        std::ofstream(s.out / "model.safetensors", std::ios::binary) << corrupted;
        CHECK(contains(error_of([&] { run(more); }), "CRC-32"));
        CHECK(file_bytes(s.out / "state.json") == state);

        TrainSettings none = s;
        none.resume = true;
        none.out = dir / "fresh";
        CHECK(contains(error_of([&] { run(none); }), "no checkpoint"));
    }
    SUBCASE("NaN weights given as --init are refused before anything is written") {
        gomhc::trainer::Gpt gpt(s.model, 1);
        gpt.params()[3] = NAN;
        gomhc::trainer::write_file_atomically(dir / "nan.safetensors",
                                              gomhc::trainer::model_bytes(gpt));
        TrainSettings t = s;
        t.init = dir / "nan.safetensors";
        const std::string message = error_of([&] { run(t); });
        CHECK(contains(message, "--init"));
        CHECK(contains(message, "tensor wte holds nan at element 3"));
        CHECK_FALSE(fs::exists(t.out));
    }
}

TEST_CASE(
    "train: a loss that turns non-finite stops the run naming the step, keeping the last "
    "good checkpoint") {
    const fs::path dir = scratch("diverge");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir / "out");
    s.checkpoint_every = 1;
    s.eval_every = 0;
    s.warmup = 0;
    // Adam moves every weight by about lr per step: 1e30 keeps them finite
    // for a step, then the products overflow.
    s.lr = s.min_lr = 1e30;
    const std::string message = error_of([&] { run(s); });
    INFO(message);
    CHECK(contains(message, "step 2: the training loss is"));
    CHECK(contains(message, "stopped"));
    // The checkpoint of step 1 is whole and loads.
    CHECK(contains(message, "the last checkpoint in " + s.out.string() + " (step 1)"));
    const auto files = gomhc::trainer::read_checkpoint(s.out);
    CHECK(files.state.step == 1);
    gomhc::trainer::Gpt gpt(s.model, 1);
    gomhc::trainer::load_model_weights(gpt, files.model, "model.safetensors");
}
