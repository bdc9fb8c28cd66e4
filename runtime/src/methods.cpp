// The public facts about the residual-mixer methods, looked up in their
// registered specs (methods/<name>.cpp).
#include "methods/method.h"

namespace gomhc {

using detail::method_spec;
using detail::MethodSpec;

std::string method_name(Method method) {
    try {
        return method_spec(method).name;
    } catch (const InvalidArgument &) {
        throw InvalidArgument("gomhc::method_name: unknown method value " +
                              std::to_string(int(method)));
    }
}

Method parse_method(const std::string &name) {
    std::string valid;
    for (const MethodSpec *spec : detail::method_specs()) {
        if (name == spec->name) {
            return spec->method;
        }
        valid += std::string(valid.empty() ? "" : ", ") + spec->name;
    }
    throw InvalidArgument("unknown method '" + name + "'; expected one of: " + valid);
}

std::vector<Method> all_methods() {
    std::vector<Method> out;
    for (const MethodSpec *spec : detail::method_specs()) {
        out.push_back(spec->method);
    }
    return out;
}

void check_method_shape(Method method, int d, int s) {
    const MethodSpec &spec = method_spec(method);
    const std::string where = "method '" + std::string(spec.name) + "': ";
    if (d < 1) {
        throw InvalidArgument(where + "d = " + std::to_string(d) + ", expected d >= 1");
    }
    if (s < 1) {
        throw InvalidArgument(where + "s = " + std::to_string(s) + ", expected s >= 1");
    }
    spec.check_shape(where, d, s);
}

int64_t residual_logit_count(Method method, int d, int s) {
    check_method_shape(method, d, s);
    return method_spec(method).logit_count(d, s);
}

std::vector<float> initial_residual_logits(Method method, int d, int s, uint64_t seed) {
    const int64_t count = residual_logit_count(method, d, s);
    SeededNormal normal(seed);
    std::vector<float> logits(size_t(count), 0.0f);
    method_spec(method).initial_logits(d, s, normal, logits.data(), count);
    return logits;
}

}  // namespace gomhc
