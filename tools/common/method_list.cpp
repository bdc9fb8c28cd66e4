#include "common/method_list.h"

#include <iostream>
#include <set>
#include <utility>

namespace gomhc::tools {

std::string method_label(const ResolvedMethod &m) {
    return m.method == Method::go || m.method == Method::go_kron
               ? m.name + " s=" + std::to_string(m.s)
               : m.name;
}

std::vector<ResolvedMethod> resolve_methods(
    const std::vector<MethodEntry> &entries, int d, bool default_list,
    const std::function<std::string(const ResolvedMethod &)> &refuse) {
    std::vector<ResolvedMethod> out;
    std::set<std::pair<std::string, int>> seen;
    for (const MethodEntry &entry : entries) {
        ResolvedMethod m;
        try {
            m.method = parse_method(entry.name);
        } catch (const Error &e) {
            throw UsageError(e.what());
        }
        m.name = method_name(m.method);
        m.s = m.method == Method::go || m.method == Method::go_kron ? entry.s : 1;
        std::string why;
        try {
            check_method_shape(m.method, d, m.s);
            why = refuse(m);
        } catch (const Error &e) {
            why = e.what();
        }
        const std::string at = method_label(m) + " at d = " + std::to_string(d);
        if (!why.empty()) {
            if (!default_list) {
                throw UsageError(method_label(m) + " cannot run at d = " + std::to_string(d) +
                                 ": " + why);
            }
            std::cout << "note: skipping " << at << ": " << why << "\n";
            continue;
        }
        if (!seen.insert({m.name, m.s}).second) {
            throw UsageError(method_label(m) + " is listed twice in --methods");
        }
        out.push_back(m);
    }
    if (out.empty()) {
        throw UsageError("no method can run at d = " + std::to_string(d));
    }
    return out;
}

}  // namespace gomhc::tools
