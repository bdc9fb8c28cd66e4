#include "common/cli.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gomhc/limits.hpp"

namespace gomhc::tools {

namespace fs = std::filesystem;

std::vector<std::string> split_list(const std::string &text, char separator) {
    std::vector<std::string> items;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, separator)) {
        if (!item.empty()) items.push_back(item);
    }
    return items;
}

std::vector<MethodEntry> parse_method_list(const std::string &text, int default_s) {
    std::vector<MethodEntry> out;
    for (const std::string &item : split_list(text)) {
        MethodEntry e;
        const size_t colon = item.find(':');
        e.name = item.substr(0, colon);
        e.s = default_s;
        if (colon != std::string::npos) {
            const std::string s = item.substr(colon + 1);
            char *end = nullptr;
            errno = 0;
            const long v = std::strtol(s.c_str(), &end, 10);
            if (s.empty() || !end || *end || errno || v < 1 || v > gomhc::kMaxN) {
                throw UsageError("bad block size in method '" + item +
                                 "': expected NAME:S with S an integer in [1, " +
                                 std::to_string(gomhc::kMaxN) + "]");
            }
            e.s = int(v);
            e.s_given = true;
        }
        if (e.name.empty()) throw UsageError("empty method name in '" + text + "'");
        out.push_back(e);
    }
    if (out.empty()) throw UsageError("empty method list '" + text + "'");
    return out;
}

std::vector<int> parse_d_list(const std::string &text) {
    std::vector<int> ds;
    for (const std::string &item : split_list(text)) {
        size_t used = 0;
        int d = 0;
        try {
            d = std::stoi(item, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != item.size() || d < 2 || d > kMaxN) {
            throw UsageError("--d: '" + item + "' is not a stream count in 2.." +
                             std::to_string(kMaxN));
        }
        if (std::find(ds.begin(), ds.end(), d) != ds.end()) {
            throw UsageError("--d: " + item + " is listed twice");
        }
        ds.push_back(d);
    }
    if (ds.empty()) throw UsageError("--d: no stream count given");
    return ds;
}

void prepare_output_dir(const fs::path &dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw std::runtime_error("cannot create output folder '" + dir.string() +
                                 "': " + ec.message());
    }
    if (!fs::is_directory(dir)) {
        throw std::runtime_error("output path '" + dir.string() + "' is not a folder");
    }
    const fs::path probe = dir / ".gomhc-write-test";
    {
        std::ofstream out(probe);
        if (!out || !(out << "x") || !out.flush()) {
            const int err = errno;
            throw std::runtime_error("cannot write in output folder '" + dir.string() +
                                     "': " + (err ? std::strerror(err) : "write failed"));
        }
    }
    fs::remove(probe, ec);
}

Device device_named(const std::string &name) {
    if (name == "cuda") {
        return Device::cuda;
    }
    return name == "opencl" ? Device::opencl : Device::host;
}

std::string csv_number(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

}  // namespace gomhc::tools
