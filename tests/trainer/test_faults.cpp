// `gomhc train` under faults (docs/reliability.md), run as the program it is:
//   - kill -9 at random moments of a run that saves every step, then resume,
//     again and again: every stop leaves a run that resumes, and the end is
//     bitwise the uninterrupted run;
//   - a disk that fills mid-run and an output folder made read-only mid-run
//     (a small tmpfs and a read-only bind mount, in a user and mount
//     namespace of the test's own): a clear error naming the step, the last
//     good checkpoint kept, and the run resumes to the same end.
// GOMHC_PROGRAM is the gomhc program; GOMHC_FAULT_SEED repeats a kill loop.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "model_files.h"
#include "train_fixtures.h"

extern char **environ;

namespace {

namespace fs = std::filesystem;
using gomhc_test::contains;
using gomhc_test::file_bytes;

// The tiny run of train_fixtures.h, as flags, saving every step.
std::vector<std::string> train_args(const fs::path &data, const fs::path &out, int steps) {
    return {GOMHC_PROGRAM,
            "train",
            "--layers",
            "2",
            "--width",
            "32",
            "--heads",
            "2",
            "--ctx",
            "16",
            "--batch",
            "4",
            "--grad-accum",
            "2",
            "--threads",
            "1",
            "--method",
            "go",
            "--d",
            "4",
            "--s",
            "2",
            "--lr",
            "3e-3",
            "--warmup",
            "2",
            "--eval-every",
            "4",
            "--eval-batches",
            "2",
            "--log-every",
            "0",
            "--no-plot",
            "--checkpoint-every",
            "1",
            "--steps",
            std::to_string(steps),
            "--data",
            data.string(),
            "--out",
            out.string()};
}

// Starts the program, its output (stdout and stderr) going to `log`.
pid_t start(std::vector<std::string> args, const fs::path &log) {
    std::vector<char *> argv;
    for (std::string &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return pid;
}

// Its exit status, or 128 + the signal that ended it.
int wait_for(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Run {
    int status;
    std::string output;
};
Run run(const std::vector<std::string> &args, const fs::path &log) {
    const int status = wait_for(start(args, log));
    return {status, file_bytes(log)};
}

// A run of `steps` with --resume when the folder holds one.
std::vector<std::string> resume_args(const fs::path &data, const fs::path &out, int steps) {
    std::vector<std::string> args = train_args(data, out, steps);
    if (fs::exists(out / "state.json") || fs::exists(out / "metrics.jsonl")) {
        args.push_back("--resume");
    }
    return args;
}

bool pending_files(const fs::path &out) {
    if (!fs::exists(out)) return false;
    for (const auto &entry : fs::directory_iterator(out)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 5 &&
            (name.substr(name.size() - 5) == ".next" || name.substr(name.size() - 4) == ".tmp")) {
            return true;
        }
    }
    return false;
}

// The step of the checkpoint a message says was kept ("... (step 3) is kept").
int kept_step(const std::string &message) {
    std::smatch m;
    if (std::regex_search(message, m, std::regex("\\(step ([0-9]+)\\) is kept as it was"))) {
        return std::stoi(m[1]);
    }
    return -1;
}

}  // namespace

TEST_CASE("faults: kill -9 at random moments of a checkpointing run; every stop resumes") {
    const fs::path dir = gomhc_test::scratch("faults_kill");
    const fs::path data = gomhc_test::write_shards(dir);
    const int steps = 24;
    const auto t0 = std::chrono::steady_clock::now();
    const Run whole = run(train_args(data, dir / "whole", steps), dir / "whole.log");
    REQUIRE_MESSAGE(whole.status == 0, whole.output);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const char *seed_text = std::getenv("GOMHC_FAULT_SEED");
    const uint64_t seed =
        seed_text ? std::strtoull(seed_text, nullptr, 10) : uint64_t(std::random_device()());
    std::mt19937_64 rng(seed);
    // Uniform over a whole run: the start, steps, saves, the end.
    std::uniform_real_distribution<double> moment(0.0, seconds);
    const fs::path out = dir / "killed";
    int kills = 0, mid_save = 0, restarts = 0;
    for (; kills < 20; restarts++) {
        // A run that got to its end (before the kill, or killed after its
        // last save) starts over.
        if (fs::exists(out / "state.json") &&
            gomhc::trainer::read_checkpoint(out).state.step == steps) {
            fs::remove_all(out);
        }
        const pid_t pid = start(resume_args(data, out, steps), dir / "killed.log");
        std::this_thread::sleep_for(std::chrono::duration<double>(moment(rng)));
        kill(pid, SIGKILL);
        const int status = wait_for(pid);
        if (status == 0) {
            continue;  // done before the kill
        }
        INFO("seed " << seed << ", kill " << kills << ": " << file_bytes(dir / "killed.log"));
        REQUIRE(status == 128 + SIGKILL);
        kills++;
        mid_save += pending_files(out) ? 1 : 0;
        if (fs::exists(out / "state.json")) {
            // What --resume reads first: whole, and finishing a stopped save.
            const auto files = gomhc::trainer::read_checkpoint(out);
            CHECK(files.state.step <= steps);
        }
    }
    const Run rest = run(resume_args(data, out, steps), dir / "rest.log");
    INFO("seed " << seed << ": " << rest.output);
    REQUIRE(rest.status == 0);
    CHECK(file_bytes(out / "model.safetensors") == file_bytes(dir / "whole" / "model.safetensors"));
    CHECK(file_bytes(out / "optimizer.safetensors") ==
          file_bytes(dir / "whole" / "optimizer.safetensors"));
    MESSAGE("seed " << seed << ": " << kills << " kills over a " << seconds << " s run, "
                    << mid_save << " left a save's pending files, " << restarts
                    << " starts; the end is "
                    << "bitwise the uninterrupted run");
}

namespace {

// Runs `body` in a child process inside a new user and mount namespace, so
// it may mount a tmpfs without privileges; returns its report ("" for
// success), or "skip: ..." when this kernel allows no such namespace.
template<typename Body>
std::string in_namespace(Body body) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pipe_fds[0]);
        std::string report;
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            report = std::string("skip: no user and mount namespace here (") +
                     std::strerror(errno) + ")";
        } else {
            std::ofstream("/proc/self/setgroups") << "deny";
            std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
            std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
            mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
            try {
                report = body();
            } catch (const std::exception &e) {
                report = std::string("exception: ") + e.what();
            }
        }
        (void)!write(pipe_fds[1], report.data(), report.size());
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string report;
    char buffer[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
        report.append(buffer, size_t(n));
    }
    close(pipe_fds[0]);
    REQUIRE(wait_for(pid) == 0);
    return report;
}

#define EXPECT(condition, what)                         \
    if (!(condition)) {                                 \
        return std::string(what) + " (" #condition ")"; \
    }

}  // namespace

TEST_CASE("faults: a disk that fills mid-run stops it clearly and keeps the last checkpoint") {
    const fs::path dir = gomhc_test::scratch("faults_full");
    const fs::path data = gomhc_test::write_shards(dir);
    const int steps = 8;
    const Run whole = run(train_args(data, dir / "whole", steps), dir / "whole.log");
    REQUIRE_MESSAGE(whole.status == 0, whole.output);
    // Room for one checkpoint and a half: the first save fits, the second
    // (old and new files side by side until the renames) does not.
    const uintmax_t set = fs::file_size(dir / "whole" / "model.safetensors") +
                          fs::file_size(dir / "whole" / "optimizer.safetensors");
    const std::string report = in_namespace([&]() -> std::string {
        const fs::path mnt = dir / "mnt";
        fs::create_directories(mnt);
        const std::string size = "size=" + std::to_string(set * 3 / 2);
        EXPECT(mount("tmpfs", mnt.c_str(), "tmpfs", 0, size.c_str()) == 0, "mount tmpfs");
        const fs::path out = mnt / "run";
        const Run full = run(train_args(data, out, steps), dir / "full.log");
        EXPECT(full.status == 1, "the run should fail: " + full.output);
        EXPECT(contains(full.output, "No space left on device"), "no ENOSPC: " + full.output);
        EXPECT(contains(full.output, "stopped"), full.output);
        const int kept = kept_step(full.output);
        EXPECT(kept >= 1, "no checkpoint kept: " + full.output);
        EXPECT(contains(full.output, "step " + std::to_string(kept + 1) + ":"),
               "the failing step is not named: " + full.output);
        EXPECT(gomhc::trainer::read_checkpoint(out).state.step == kept,
               "state.json is not the kept step");
        EXPECT(!pending_files(out), "a failed save left its pending files");
        // Room again: the run resumes to the uninterrupted end.
        EXPECT(mount(nullptr, mnt.c_str(), nullptr, MS_REMOUNT, "size=64m") == 0, "remount");
        std::vector<std::string> more = train_args(data, out, steps);
        more.push_back("--resume");
        const Run rest = run(more, dir / "rest.log");
        EXPECT(rest.status == 0, "resume failed: " + rest.output);
        EXPECT(file_bytes(out / "model.safetensors") ==
                   file_bytes(dir / "whole" / "model.safetensors"),
               "the resumed run's weights differ from the uninterrupted run's");
        return "kept step " + std::to_string(kept) + ": " + full.output;
    });
    if (contains(report, "skip:")) {
        MESSAGE(report);
        return;
    }
    INFO(report);
    CHECK(contains(report, "kept step"));
    MESSAGE(report);
}

TEST_CASE(
    "faults: an output folder made read-only mid-run stops it clearly and keeps the last "
    "checkpoint") {
    const fs::path dir = gomhc_test::scratch("faults_ro");
    const fs::path data = gomhc_test::write_shards(dir);
    const int steps = 400;  // long enough to be read-only before its end
    const std::string report = in_namespace([&]() -> std::string {
        const fs::path mnt = dir / "mnt";
        fs::create_directories(mnt);
        EXPECT(mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64m") == 0, "mount tmpfs");
        const fs::path out = mnt / "run";
        const pid_t pid = start(train_args(data, out, steps), dir / "ro.log");
        // Once two checkpoints are saved, the folder turns read-only: files
        // open before (metrics.jsonl) keep writing, new ones fail.
        for (int i = 0;
             i < 3000 && !contains(fs::exists(out / "state.json") ? file_bytes(out / "state.json")
                                                                  : std::string(),
                                   "\"step\": 2");
             i++) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        EXPECT(mount(out.c_str(), out.c_str(), nullptr, MS_BIND, nullptr) == 0, "bind");
        EXPECT(mount(nullptr, out.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0,
               "read-only remount");
        const int status = wait_for(pid);
        const std::string output = file_bytes(dir / "ro.log");
        EXPECT(status == 1, "the run should fail: " + output);
        EXPECT(contains(output, "Read-only file system"), "no EROFS: " + output);
        const int kept = kept_step(output);
        EXPECT(kept >= 2, "no checkpoint kept: " + output);
        EXPECT(gomhc::trainer::read_checkpoint(out).state.step == kept,
               "state.json is not the kept step");
        EXPECT(umount(out.c_str()) == 0, "unmount the read-only bind");
        std::vector<std::string> more = train_args(data, out, kept + 2);
        more.push_back("--resume");
        const Run rest = run(more, dir / "rest.log");
        EXPECT(rest.status == 0, "resume failed: " + rest.output);
        EXPECT(contains(rest.output, "resuming from step " + std::to_string(kept)),
               "not resumed from the kept step: " + rest.output);
        return "kept step " + std::to_string(kept) + ": " + output;
    });
    if (contains(report, "skip:")) {
        MESSAGE(report);
        return;
    }
    INFO(report);
    CHECK(contains(report, "kept step"));
    MESSAGE(report);
}
