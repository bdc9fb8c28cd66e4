// Small helpers shared by the `gomhc` subcommands (which parse their flags
// with CLI11): method lists such as "go,go:1,mhc", and output folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <gomhc/gomhc.hpp>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace gomhc::tools {

// A bad command line: the subcommand prints the message and exits with
// status 2.
class UsageError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// What a subcommand prints after a usage error of its own (CLI11 prints the
// same after its parse errors).
constexpr const char *kSeeHelp = "Run with --help for more information.\n";

// Comma-separated items, empty items dropped.
std::vector<std::string> split_list(const std::string &text, char separator = ',');

// One entry of a --methods list: "NAME" or "NAME:S" (S the block size, for go
// and go-kron; other methods ignore it).
struct MethodEntry {
    std::string name;
    int s = 1;
    bool s_given = false;
};
// Parses "go,go:1,mhc"; an entry without ":S" gets default_s. UsageError on a
// malformed entry (empty name, S not a positive integer).
std::vector<MethodEntry> parse_method_list(const std::string &text, int default_s);
// Parses a --d list such as "2,4,8": stream counts in [2, kMaxN], none
// twice. UsageError naming the item otherwise.
std::vector<int> parse_d_list(const std::string &text);
// Creates dir (and parents) and checks that a file can be written in it;
// throws std::runtime_error saying which folder and why otherwise.
void prepare_output_dir(const std::filesystem::path &dir);

// The --device names of the trainer's commands, and the Device each means.
inline const std::vector<std::string> kDeviceNames = {"cpu", "cuda", "opencl"};
// "cpu", "cuda" or "opencl" (CLI11 checks the name against kDeviceNames).
Device device_named(const std::string &name);

// A number as CSV text: shortest round-trip form for doubles ("%.9g").
std::string csv_number(double value);

}  // namespace gomhc::tools
