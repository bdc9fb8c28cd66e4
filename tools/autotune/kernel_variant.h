// Which kernel of an op a tuning case builds: the build's name for it (n8,
// d4s2, d4, generic, or a registry VARIANT's name) and the GeneratorParams
// that select it, from the op's SPECIALISE rule and VARIANTs in
// registry.cmake.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gomhc::autotune {

// A tunable op's kernels as registry.cmake lists them (generated into
// tuning_kernels.inc).
struct RegistryKernels {
    const char *op;
    const char *specialise;  // "n", "d_s", "d", "d=2,3,4" or "" (generic only)
    // Named VARIANTs: name, then their GeneratorParams.
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> variants;
};

struct KernelChoice {
    std::string variant;
    std::map<std::string, std::string> params;
};

// The kernel of `op` at these sizes (by name; n = d*s where the op has d and
// s): the registry VARIANT `named`, or with `named` empty the kernel the
// build specialises for them. Throws std::invalid_argument for an op the
// registry does not mark TUNABLE, a size its rule needs and `sizes` lacks, or
// an unknown VARIANT.
KernelChoice choose_kernel(const std::string &op, const std::map<std::string, int64_t> &sizes,
                           const std::string &named);

}  // namespace gomhc::autotune
