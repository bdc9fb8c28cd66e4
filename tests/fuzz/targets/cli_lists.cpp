// Fuzz target: the command-line values gomhc parses itself rather than
// through CLI11 (tools/common/cli.h): method lists "go,go:1,mhc" (--methods
// of compare, synth and spectrum) and stream-count lists "2,4,8" (synth's
// --d). The first byte picks the parser. Refused: UsageError.
#include <algorithm>
#include <string>

#include "common/cli.h"
#include "fuzz_support.h"
#include "gomhc/limits.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace gomhc_fuzz;
    if (size == 0) {
        return 0;
    }
    const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
    try {
        if (data[0] & 1) {
            const auto ds = gomhc::tools::parse_d_list(text);
            require(!ds.empty(), "an empty --d list was accepted");
            for (size_t i = 0; i < ds.size(); i++) {
                require(ds[i] >= 2 && ds[i] <= gomhc::kMaxN, "a d out of range was accepted");
                require(std::count(ds.begin(), ds.end(), ds[i]) == 1, "a d listed twice");
            }
        } else {
            const auto methods = gomhc::tools::parse_method_list(text, 2);
            require(!methods.empty(), "an empty method list was accepted");
            for (const auto &m : methods) {
                require(!m.name.empty(), "an empty method name was accepted");
                require(m.s >= 1 && m.s <= gomhc::kMaxN, "a block size out of range was accepted");
                require(m.name.find(',') == std::string::npos, "a name holds the separator");
            }
        }
    } catch (const gomhc::tools::UsageError &) {
    }
    return 0;
}
