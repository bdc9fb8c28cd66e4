// What the fuzz targets share. A target returns normally when the reader
// accepted the input or refused it with its own clear error; anything else
// (a crash, a sanitizer report, a stray exception such as the JSON
// library's, an accepted file that breaks the format's rules) is a finding:
// the target prints it and aborts, and libFuzzer saves the input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace gomhc_fuzz {

[[noreturn]] inline void finding(const std::string &what) {
    std::fprintf(stderr, "gomhc fuzz finding: %s\n", what.c_str());
    std::abort();
}

inline void require(bool ok, const std::string &what) {
    if (!ok) {
        finding(what);
    }
}

// A file of this process for readers that take a path (TMPDIR, else /tmp).
inline std::filesystem::path scratch_file(const std::string &name) {
    const char *dir = std::getenv("TMPDIR");
    return std::filesystem::path(dir && *dir ? dir : "/tmp") /
           ("gomhc_fuzz_" + std::to_string(getpid()) + "_" + name);
}

inline void write_file(const std::filesystem::path &path, const uint8_t *data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), std::streamsize(size));
    require(bool(out), "cannot write the scratch file " + path.string());
}

}  // namespace gomhc_fuzz
