// Seeded standard normal draws that are the same with every C++ standard
// library: std::mt19937_64's output is fixed by the standard, but
// std::normal_distribution's algorithm is not (libstdc++ and libc++ differ),
// so the layer's initialisation draws through this instead, and so does the
// trainer's GPT (header-only: nothing of it is in libgomhc's ABI).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace gomhc {

class SeededNormal {
public:
    explicit SeededNormal(uint64_t seed) : engine_(seed) {}

    // Box-Muller: two uniforms in (0, 1) from the top 53 bits of two draws
    // give two independent N(0, 1) values; the second is kept for the next
    // call.
    double next() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = uniform_open(), u2 = uniform_open();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 2.0 * kPi * u2;
        spare_ = radius * std::sin(angle);
        has_spare_ = true;
        return radius * std::cos(angle);
    }

private:
    static constexpr double kPi = 3.14159265358979323846;

    double uniform_open() {
        // (k + 0.5) / 2^53 for k in [0, 2^53): never 0, never 1.
        return (double(engine_() >> 11) + 0.5) * 0x1.0p-53;
    }

    std::mt19937_64 engine_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace gomhc
