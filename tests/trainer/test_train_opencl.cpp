// The trainer on an OpenCL device against the same trainer on the CPU: the
// same weights and batches give the same losses to float rounding (CLBlast's
// and OpenBLAS's sums differ in order), and a checkpoint written on one
// device resumes on the other. Without an OpenCL device the suite prints
// "SKIP opencl: <reason>" and exits 77, which CTest reports as skipped;
// GOMHC_REQUIRE_OPENCL=1 (set where PoCL is installed) makes that a failure.
#define DOCTEST_CONFIG_IMPLEMENT
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "../opencl_required.h"
#include "matmul.h"
#include "train_fixtures.h"

using namespace gomhc_test;

namespace {

// Why the trainer cannot run on OpenCL here; "" when it can.
std::string opencl_missing() {
    if (!gomhc::trainer::opencl_blas_built()) {
        return "the trainer was built without CLBlast";
    }
    return gomhc::opencl_unavailable_reason();
}

// Each step's loss on the device within rel of the CPU's.
void check_losses(const std::vector<float> &cpu, const std::vector<float> &device, double rel) {
    REQUIRE(cpu.size() == device.size());
    for (size_t i = 0; i < cpu.size(); i++) {
        INFO("step " << i + 1 << ": cpu " << cpu[i] << ", opencl " << device[i]);
        CHECK(std::abs(double(device[i]) - double(cpu[i])) <= rel * std::abs(double(cpu[i])));
    }
}

TrainSettings on(TrainSettings s, gomhc::Device device, const fs::path &out) {
    s.device = device;
    s.out = out;
    return s;
}

}  // namespace

TEST_CASE("train on opencl: the losses of 20 steps agree with the CPU's") {
    if (!opencl_missing().empty()) {
        return;  // main reports the skip
    }
    const fs::path dir = scratch("opencl_agree");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir);
    s.steps = 20;
    s.eval_every = 10;
    s.sample_every = 10;  // sampling runs the device model too
    for (const Method method : {Method::go, Method::residual, Method::mhc}) {
        CAPTURE(gomhc::method_name(method));
        s.model.method = method;
        s.model.d = method == Method::residual ? 1 : 4;
        const std::string name = gomhc::method_name(method);
        const TrainResult cpu = run(on(s, gomhc::Device::host, dir / (name + "_cpu")));
        const TrainResult device = run(on(s, gomhc::Device::opencl, dir / (name + "_opencl")));
        REQUIRE(cpu.losses.size() == 20);
        check_losses({cpu.losses.front()}, {device.losses.front()}, 1e-4);
        check_losses(cpu.losses, device.losses, 1e-3);
        REQUIRE(cpu.val_losses.size() == device.val_losses.size());
        for (size_t i = 0; i < cpu.val_losses.size(); i++) {
            CHECK(std::abs(device.val_losses[i].second - cpu.val_losses[i].second) <=
                  1e-3 * cpu.val_losses[i].second);
        }
        CHECK(cpu.losses.back() < cpu.losses.front() - 0.5f);
    }
}

TEST_CASE("train on opencl: a checkpoint written on one device resumes on the other") {
    if (!opencl_missing().empty()) {
        return;
    }
    const fs::path dir = scratch("opencl_resume");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir);
    s.steps = 20;
    s.eval_every = 10;
    const TrainResult whole = run(on(s, gomhc::Device::host, dir / "whole"));
    const std::atomic<bool> stop{true};  // stops after the first step
    for (const auto &[first, second] : {std::pair{gomhc::Device::host, gomhc::Device::opencl},
                                        std::pair{gomhc::Device::opencl, gomhc::Device::host}}) {
        CAPTURE(gomhc::device_name(first));
        TrainSettings part = on(s, first, dir / ("from_" + std::string(gomhc::device_name(first))));
        const TrainResult begun = run(part, &stop);
        REQUIRE(begun.interrupted);
        REQUIRE(begun.steps_done == 1);
        part.device = second;
        part.resume = true;
        const TrainResult rest = run(part);
        CHECK(rest.first_step == 1);
        std::vector<float> joined = begun.losses;
        joined.insert(joined.end(), rest.losses.begin(), rest.losses.end());
        check_losses(whole.losses, joined, 1e-3);
        CHECK(rest.run_val_losses.size() == whole.val_losses.size());
    }
}

int main(int argc, char **argv) {
    doctest::Context context(argc, argv);
    const int failed = context.run();
    if (failed != 0 || context.shouldExit()) {
        return failed;
    }
    const std::string missing = opencl_missing();
    if (!missing.empty()) {
        if (missing_opencl_fails(missing)) {
            return 1;
        }
        std::printf("SKIP opencl: %s\n", missing.c_str());
        return 77;
    }
    return 0;
}
