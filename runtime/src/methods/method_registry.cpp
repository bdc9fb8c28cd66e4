// The registered methods, and what their files share.
#include <algorithm>
#include <cstring>

#include "cuda_driver.h"
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

void copy_rows(Device device, float *dst, size_t dst_pitch, const float *src, size_t src_pitch,
               size_t width, size_t rows) {
    if (width == 0 || rows == 0) {
        return;
    }
    if (device == Device::cuda) {
        cuda_copy_rows(dst, dst_pitch, src, src_pitch, width, rows);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        std::memcpy(dst + r * dst_pitch, src + r * src_pitch, width * sizeof(float));
    }
}

}  // namespace gomhc::detail
