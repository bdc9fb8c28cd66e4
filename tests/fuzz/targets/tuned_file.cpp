// Fuzz target: tuned schedule files (cmake/GomhcTuned.cmake), read by the
// configure step. The reader is CMake script, so each input runs
// `cmake -P tests/tuned/check_tuned.cmake` on it, exactly as the tests do.
// Accepted: "valid, N tuned kernels". Refused: the reader's own message
// (GomhcTuned.cmake's message(FATAL_ERROR)) naming the file; an error
// raised by a CMake command inside the reader instead ("list GET given
// empty list") is a finding. libFuzzer cannot see into CMake, so which of
// the reader's lines the error came from is fed back as extra counters:
// inputs that reach a new check are kept.
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>

#include "fuzz_support.h"

extern char **environ;

// libFuzzer adds counters in this section to its coverage (Linux).
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t reader_outcomes[4096];

namespace {

// Runs cmake on the file; returns its exit status (-signal if killed) and output.
int run_reader(const std::string &file, const std::string &output, std::string &text) {
    const std::string file_arg = "-DFILE=" + file;
    const char *argv[] = {GOMHC_CMAKE, file_arg.c_str(),  "-DDEVICE=cpu",
                          "-P",        GOMHC_CHECK_TUNED, nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc =
        posix_spawn(&pid, GOMHC_CMAKE, &actions, nullptr, const_cast<char *const *>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    gomhc_fuzz::require(rc == 0, "cannot start " GOMHC_CMAKE);
    int status = 0;
    // libFuzzer's timeout alarm interrupts the wait.
    while (waitpid(pid, &status, 0) < 0) {
        gomhc_fuzz::require(errno == EINTR, "waitpid failed");
    }
    std::ifstream in(output);
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    static const std::string file = scratch_file("x.tuned").string();
    static const std::string output = scratch_file("cmake.out").string();
    write_file(file, data, size);
    std::string text;
    const int status = run_reader(file, output, text);
    // The reader's lines named in the output: where it stopped, and from where.
    static const std::regex site("GomhcTuned\\.cmake:([0-9]+) \\(([a-z_]+)\\)");
    size_t outcome = std::hash<int>()(status);
    static const std::regex verdict("valid, ([0-9]+) tuned kernels");
    std::smatch valid;
    if (std::regex_search(text, valid, verdict)) {
        outcome = outcome * 31 + std::hash<std::string>()(valid[1]);
    }
    for (auto it = std::sregex_iterator(text.begin(), text.end(), site);
         it != std::sregex_iterator(); ++it) {
        outcome = outcome * 31 + std::hash<std::string>()(it->str());
    }
    reader_outcomes[outcome % sizeof(reader_outcomes)]++;

    if (status == 0) {
        require(text.find("valid, ") != std::string::npos, "exit 0 without a verdict:\n" + text);
        return 0;
    }
    require(status == 1, "cmake ended with status " + std::to_string(status) + ":\n" + text);
    // The first error must be the reader's own message, naming the file.
    std::smatch first;
    static const std::regex error(
        "CMake Error at [^\n]*?([A-Za-z_]+\\.cmake):([0-9]+) \\(([a-z_]+)\\)");
    require(std::regex_search(text, first, error), "no CMake error in:\n" + text);
    require(first[1] == "GomhcTuned.cmake" && first[3] == "message",
            "the reader failed inside a CMake command, not with its own message:\n" + text);
    require(text.find(file) != std::string::npos, "the message does not name the file:\n" + text);
    return 0;
}
