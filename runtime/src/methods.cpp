// Method names, the shapes each method accepts, its residual-logit count and
// its documented initialisation.
#include "methods.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "seeded_normal.h"

namespace gomhc {
namespace {

struct MethodInfo {
    Method method;
    const char *name;
};
constexpr MethodInfo kMethods[] = {{Method::residual, "residual"}, {Method::hc, "hc"},
                                   {Method::mhc, "mhc"},           {Method::mhc_lite, "mhc-lite"},
                                   {Method::kromhc, "kromhc"},     {Method::go, "go"},
                                   {Method::go_kron, "go-kron"}};

int64_t factorial(int d) {
    int64_t f = 1;
    for (int i = 2; i <= d; i++) {
        f *= i;
    }
    return f;
}

bool power_of_two(int d) { return d >= 1 && (d & (d - 1)) == 0; }

int log2_exact(int d) {
    int m = 0;
    while ((1 << m) < d) {
        m++;
    }
    return m;
}

int64_t pairs(int64_t n) { return n * (n - 1) / 2; }

}  // namespace

std::string method_name(Method method) {
    for (const MethodInfo &info : kMethods) {
        if (info.method == method) {
            return info.name;
        }
    }
    throw InvalidArgument("gomhc::method_name: unknown method value " +
                          std::to_string(int(method)));
}

Method parse_method(const std::string &name) {
    std::string valid;
    for (const MethodInfo &info : kMethods) {
        if (name == info.name) {
            return info.method;
        }
        valid += std::string(valid.empty() ? "" : ", ") + info.name;
    }
    throw InvalidArgument("unknown method '" + name + "'; expected one of: " + valid);
}

std::vector<Method> all_methods() {
    std::vector<Method> out;
    for (const MethodInfo &info : kMethods) {
        out.push_back(info.method);
    }
    return out;
}

void check_method_shape(Method method, int d, int s) {
    const std::string where = "method '" + method_name(method) + "': ";
    if (d < 1) {
        throw InvalidArgument(where + "d = " + std::to_string(d) + ", expected d >= 1");
    }
    if (s < 1) {
        throw InvalidArgument(where + "s = " + std::to_string(s) + ", expected s >= 1");
    }
    switch (method) {
        case Method::residual:
            if (d != 1) {
                throw InvalidArgument(
                    where + "d = " + std::to_string(d) +
                    ", but the plain residual X + F(X) has exactly one stream (d = 1)");
            }
            break;
        case Method::hc:
        case Method::mhc:
            if (d > kMaxN) {
                throw InvalidArgument(where + "d = " + std::to_string(d) +
                                      ", expected d <= " + std::to_string(kMaxN));
            }
            break;
        case Method::mhc_lite:
            if (d > kMaxMhcLiteD) {
                throw InvalidArgument(where + "d = " + std::to_string(d) + " needs " +
                                      std::to_string(d) +
                                      "! permutation weights per token; mhc-lite supports d <= " +
                                      std::to_string(kMaxMhcLiteD));
            }
            break;
        case Method::kromhc:
            if (!power_of_two(d) || d > kMaxN) {
                throw InvalidArgument(where + "d = " + std::to_string(d) +
                                      " is not a power of 2 (<= " + std::to_string(kMaxN) +
                                      "); KromHC is a Kronecker product of 2 x 2 factors");
            }
            break;
        case Method::go:
            if (int64_t(d) * s > kMaxN) {
                throw InvalidArgument(where + "n = d*s = " + std::to_string(int64_t(d) * s) +
                                      ", expected n <= " + std::to_string(kMaxN));
            }
            break;
        case Method::go_kron: {
            int d1 = 0;
            for (int f = 2; f * f <= d; f++) {
                if (d % f == 0) {
                    d1 = f;
                }
            }
            if (d1 == 0) {
                throw InvalidArgument(
                    where + "d = " + std::to_string(d) +
                    " is prime (or 1); go-kron needs d = d1*d2 with both factors >= 2 "
                    "(e.g. 4, 6, 8, 9)");
            }
            if (int64_t(d / d1) * s > kMaxN) {
                throw InvalidArgument(where + "factor size " + std::to_string(d / d1) +
                                      " times s = " + std::to_string(s) +
                                      " exceeds n <= " + std::to_string(kMaxN));
            }
            break;
        }
    }
}

int64_t residual_logit_count(Method method, int d, int s) {
    check_method_shape(method, d, s);
    switch (method) {
        case Method::residual:
            return 0;
        case Method::hc:
        case Method::mhc:
            return int64_t(d) * d;
        case Method::mhc_lite:
            return factorial(d);
        case Method::kromhc:
            return log2_exact(d);
        case Method::go:
            return pairs(int64_t(d) * s);
        case Method::go_kron: {
            const detail::KronFactors f = detail::kron_factors(d);
            return pairs(int64_t(f.d1) * s) + pairs(int64_t(f.d2) * s);
        }
    }
    return 0;
}

std::vector<float> initial_residual_logits(Method method, int d, int s, uint64_t seed) {
    const int64_t count = residual_logit_count(method, d, s);
    detail::SeededNormal normal(seed);
    std::vector<float> logits(size_t(count), 0.0f);
    // Small noise breaks the symmetry of the identity start (docs/math.md section 2.3).
    constexpr double kJitter = 0.01;
    constexpr double kIdentityWeight = 0.95;
    constexpr double kOffDiagonalLogit = -4.0;
    constexpr double kGoSigma = 0.1;
    for (int64_t i = 0; i < count; i++) {
        double value = 0.0;
        switch (method) {
            case Method::residual:
                break;
            case Method::hc:
                value = (i / d == i % d ? 1.0 : 0.0) + kJitter * normal.next();
                break;
            case Method::mhc:
                value = (i / d == i % d ? 0.0 : kOffDiagonalLogit) + kJitter * normal.next();
                break;
            case Method::mhc_lite:
                // Permutation 0 is the identity; the others share 1 - 0.95.
                value = (i == 0 ? 0.0
                                : std::log((1.0 - kIdentityWeight) / kIdentityWeight /
                                           double(std::max<int64_t>(count - 1, 1)))) +
                        kJitter * normal.next();
                break;
            case Method::kromhc:
                value =
                    std::log(kIdentityWeight / (1.0 - kIdentityWeight)) + kJitter * normal.next();
                break;
            case Method::go:
            case Method::go_kron:
                value = kGoSigma * normal.next();
                break;
        }
        logits[size_t(i)] = float(value);
    }
    return logits;
}

namespace detail {

KronFactors kron_factors(int d) {
    int d1 = 1;
    for (int f = 2; f * f <= d; f++) {
        if (d % f == 0) {
            d1 = f;
        }
    }
    return {d1, d / d1};
}

std::vector<int32_t> permutations(int d) {
    std::vector<int32_t> perm(static_cast<size_t>(d));
    std::iota(perm.begin(), perm.end(), 0);
    std::vector<int32_t> table;
    do {
        table.insert(table.end(), perm.begin(), perm.end());
    } while (std::next_permutation(perm.begin(), perm.end()));
    return table;
}

}  // namespace detail
}  // namespace gomhc
