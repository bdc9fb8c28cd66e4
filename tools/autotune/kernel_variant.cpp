#include "kernel_variant.h"

#include <stdexcept>

namespace gomhc::autotune {
namespace {

#include "tuning_kernels.inc"  // generated from registry.cmake

const RegistryKernels &kernels_of(const std::string &op) {
    for (const RegistryKernels &k : registry_kernels()) {
        if (op == k.op) {
            return k;
        }
    }
    throw std::invalid_argument("'" + op + "' is not TUNABLE in registry.cmake");
}

}  // namespace

KernelChoice choose_kernel(const std::string &op, const std::map<std::string, int64_t> &sizes,
                           const std::string &named) {
    const RegistryKernels &kernels = kernels_of(op);
    if (!named.empty()) {
        for (const auto &[name, params] : kernels.variants) {
            if (name == named) {
                return {name, {params.begin(), params.end()}};
            }
        }
        throw std::invalid_argument(op + " has no VARIANT '" + named + "' in registry.cmake");
    }
    auto size = [&](const char *name) {
        const auto found = sizes.find(name);
        if (found == sizes.end()) {
            throw std::invalid_argument(op + " is specialised on '" + name +
                                        "', which its sizes lack");
        }
        return std::to_string(found->second);
    };
    const std::string rule = kernels.specialise;
    if (rule.empty()) {
        return {"generic", {}};
    }
    if (rule == "n") {
        return {"n" + size("n"), {{"n", size("n")}}};
    }
    if (rule == "d_s") {
        return {"d" + size("d") + "s" + size("s"), {{"d", size("d")}, {"s", size("s")}}};
    }
    return {"d" + size("d"), {{"d", size("d")}}};  // "d", or "d=" and the d it lists
}

}  // namespace gomhc::autotune
