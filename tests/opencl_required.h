// The OpenCL suites' rule for a missing OpenCL device: a failure where
// GOMHC_REQUIRE_OPENCL=1 (CMake sets it where PoCL is installed, so CI never
// skips the GPU schedules), a skip elsewhere.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace gomhc_test {

// True, after printing "FAIL: ... but <why>", when OpenCL is required here.
inline bool missing_opencl_fails(const std::string &why) {
    const char *require = std::getenv("GOMHC_REQUIRE_OPENCL");
    if (require && std::strcmp(require, "1") == 0) {
        std::printf("FAIL: GOMHC_REQUIRE_OPENCL=1 but %s\n", why.c_str());
        return true;
    }
    return false;
}

}  // namespace gomhc_test
