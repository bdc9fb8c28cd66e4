// Data-parallel training (trainer/distributed.h), run by ctest under
// `mpirun -np 2` with one thread per rank: two ranks train the sequences one
// process trains with the same global batch (equal to rounding: the
// gradients are summed in another order), a stop on one rank stops both,
// checkpoints resume on 2 ranks bitwise and on 1 rank with the same global
// batch, and a rank whose data is missing stops every rank naming it.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "distributed.h"
#include "train_fixtures.h"

using gomhc::trainer::Ranks;
using namespace gomhc_test;

namespace {

Ranks &ranks() { return Ranks::world(); }

// Scratch folder and shards made by rank 0 while the other ranks wait.
fs::path shared_scratch(const std::string &name) {
    const fs::path dir = fs::temp_directory_path() / ("gomhc_test_distributed_" + name);
    if (ranks().root()) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        write_shards(dir);
    }
    ranks().barrier();
    return dir;
}

// The relative tolerance of sums in another order over 10 steps.
constexpr double kRounding = 1e-5;

void check_close(const std::vector<float> &a, const std::vector<float> &b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); i++) {
        INFO("step " << i + 1);
        CHECK(std::abs(double(a[i]) - double(b[i])) <= kRounding * std::abs(double(b[i])));
    }
}

// The tiny run with `accumulation` micro-batches per rank and 10 steps.
TrainSettings settings(const fs::path &dir, const std::string &out, int64_t accumulation) {
    TrainSettings s = tiny_settings(dir / "data", dir / out);
    s.grad_accum = accumulation;
    s.steps = 10;
    s.eval_every = 5;
    s.eval_batches = 3;  // not a multiple of the ranks
    return s;
}

}  // namespace

TEST_CASE("distributed: the test runs on two ranks") {
    REQUIRE_MESSAGE(ranks().size() == 2, "run it as mpirun -np 2 test_distributed");
}

TEST_CASE("distributed: two ranks train what one process trains with their global batch") {
    const fs::path dir = shared_scratch("same");
    const TrainResult two = run(settings(dir, "two", 1));
    CHECK(two.losses.size() == 10);
    if (ranks().root()) {
        const TrainResult one = run(settings(dir, "one", 2), nullptr, Ranks::solo());
        check_close(two.losses, one.losses);
        REQUIRE(two.val_losses.size() == one.val_losses.size());
        for (size_t i = 0; i < one.val_losses.size(); i++) {
            CHECK(two.val_losses[i].first == one.val_losses[i].first);
            CHECK(std::abs(two.val_losses[i].second - one.val_losses[i].second) <=
                  kRounding * one.val_losses[i].second);
        }
        CHECK(two.losses.back() < two.losses.front());
        // Rank 0 alone wrote the run's files.
        CHECK(fs::exists(dir / "two" / "model.safetensors"));
    }
    ranks().barrier();
}

TEST_CASE("distributed: a stop on one rank stops both; resumes on 2 ranks bitwise, on 1 close") {
    const fs::path dir = shared_scratch("resume");
    const TrainResult whole = run(settings(dir, "whole", 1));
    // Rank 1's flag alone is set (as when a signal reaches one process).
    const std::atomic<bool> stop{ranks().rank() == 1};
    for (const char *part : {"on_two", "on_one"}) {
        const TrainResult first = run(settings(dir, part, 1), &stop);
        CHECK(first.interrupted);
        CHECK(first.steps_done == 1);
    }
    TrainSettings again = settings(dir, "on_two", 1);
    again.resume = true;
    const TrainResult rest = run(again);
    CHECK(rest.first_step == 1);
    std::vector<float> joined = {whole.losses.front()};
    joined.insert(joined.end(), rest.losses.begin(), rest.losses.end());
    CHECK(joined == whole.losses);
    if (ranks().root()) {
        CHECK(file_bytes(dir / "on_two" / "model.safetensors") ==
              file_bytes(dir / "whole" / "model.safetensors"));
        // The same global batch of 2 micro-batches, on one rank.
        TrainSettings solo = settings(dir, "on_one", 2);
        solo.resume = true;
        std::ostringstream log;
        const TrainResult rest_solo = gomhc::trainer::train(solo, log, nullptr, Ranks::solo());
        CHECK(contains(log.str(), "the same sequences"));
        std::vector<float> joined_solo = {whole.losses.front()};
        joined_solo.insert(joined_solo.end(), rest_solo.losses.begin(), rest_solo.losses.end());
        check_close(joined_solo, whole.losses);
    }
    ranks().barrier();
}

TEST_CASE("distributed: a rank whose data is missing stops every rank, naming it") {
    const fs::path dir = shared_scratch("missing");
    TrainSettings s = settings(dir, "run", 1);
    if (ranks().rank() == 1) {
        s.data = dir / "nowhere";
    }
    const std::string message = error_of([&] { run(s); });
    CHECK(contains(message, "rank 1 of 2"));
    CHECK(contains(message, "nowhere"));
    CHECK_FALSE(fs::exists(dir / "run"));
    ranks().barrier();
}
