// Turning a --methods list into the methods a subcommand runs at d (shared by
// `gomhc synth` and `gomhc spectrum`; it needs the gomhc library, so it is
// not part of the kernel-free gomhc_tool_numerics).
#pragma once

#include <functional>
#include <gomhc/gomhc.hpp>
#include <string>
#include <vector>

#include "common/cli.h"

namespace gomhc::tools {

// A method of a --methods list, checked against d.
struct ResolvedMethod {
    Method method;
    std::string name;  // method_name(method)
    int s = 1;         // the block size for go and go-kron, else 1
};
// "go s=2" for go and go-kron, the name otherwise.
std::string method_label(const ResolvedMethod &m);
// Resolves a --methods list at d: an unknown method, a duplicate, or (when
// the list was given) a method that cannot take d or that `refuse` rejects is
// a UsageError naming it; with the default list such methods are skipped with
// a note on stdout instead. `refuse` returns "" to accept. UsageError too if
// nothing is left. `refuse` returns the reason alone; the message adds the
// method and d.
std::vector<ResolvedMethod> resolve_methods(
    const std::vector<MethodEntry> &entries, int d, bool default_list,
    const std::function<std::string(const ResolvedMethod &)> &refuse);

}  // namespace gomhc::tools
