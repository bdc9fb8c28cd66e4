// The registered methods, and what their files share.
#include <algorithm>

#include "method.h"

namespace gomhc::detail {
namespace {
std::vector<const MethodSpec *> &registered() {
    static std::vector<const MethodSpec *> specs;
    return specs;
}
}  // namespace

MethodRegistration::MethodRegistration(const MethodSpec &spec) { registered().push_back(&spec); }

const MethodSpec &method_spec(Method method) {
    for (const MethodSpec *spec : registered()) {
        if (spec->method == method) {
            return *spec;
        }
    }
    throw InvalidArgument("gomhc: unknown method value " + std::to_string(int(method)));
}

std::vector<const MethodSpec *> method_specs() {
    std::vector<const MethodSpec *> specs = registered();
    std::sort(specs.begin(), specs.end(), [](const MethodSpec *a, const MethodSpec *b) {
        return int(a->method) < int(b->method);
    });
    return specs;
}

void copy_view(const TensorView &src, const TensorView &dst) {
    const size_t count = size_t(src.size());
    device_copy_rows(address_of(dst), count, address_of(src), count, count, 1);
}

}  // namespace gomhc::detail
