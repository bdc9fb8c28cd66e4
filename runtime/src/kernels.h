// The compiled kernel variants of every op in the op registry
// (registry.cmake), and the lookup that picks one. The build generates each
// op's kernel type and table (kernel_registry.h and .cpp, included below).
#pragma once

#include <cstdint>
#include <cstring>

#include "HalideRuntime.h"
#include "gomhc/gomhc.hpp"

namespace gomhc::kernels {

// A variant is named as its library (n8, d4s2, d4, generic, or a registry
// VARIANT such as narrow) and keyed (a, b) by the size it is specialised on:
// n for the Cayley map, (d, s) for the projection, d for stream mixing;
// (0, 0) for the others.
template<typename Fn>
struct Variant {
    const char *name;
    int a, b;
    Device device;
    Fn fn;
};

template<typename Fn>
struct Chosen {
    Fn fn;
    bool specialised;
};

// The variant specialised for (a, b) on `device`, else the generic one.
template<typename Fn>
Chosen<Fn> choose(const Variant<Fn> *variants, int count, int a, int b, Device device) {
    Chosen<Fn> generic{nullptr, false};
    for (int i = 0; i < count; i++) {
        if (variants[i].device != device) {
            continue;
        }
        if (a != 0 && variants[i].a == a && variants[i].b == b) {
            return {variants[i].fn, true};
        }
        if (std::strcmp(variants[i].name, "generic") == 0) {
            generic.fn = variants[i].fn;
        }
    }
    return generic;
}

// The variant of this name on `device`, else the generic one.
template<typename Fn>
Chosen<Fn> choose_named(const Variant<Fn> *variants, int count, const char *name, Device device) {
    for (int i = 0; i < count; i++) {
        if (variants[i].device == device && std::strcmp(variants[i].name, name) == 0) {
            return {variants[i].fn, true};
        }
    }
    return choose(variants, count, 0, 0, device);
}

}  // namespace gomhc::kernels

#include "kernel_registry.h"
