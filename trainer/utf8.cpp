#include "utf8.h"

#include <cstdint>

namespace gomhc::trainer {

std::string valid_utf8(const std::string &bytes) {
    const char *kReplacement = "\xEF\xBF\xBD";
    std::string out;
    size_t i = 0;
    const auto byte = [&](size_t k) { return uint8_t(bytes[k]); };
    while (i < bytes.size()) {
        const uint8_t b = byte(i);
        size_t extra = 0;
        uint32_t minimum = 0;
        if (b < 0x80) {
            out += char(b);
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            extra = 1, minimum = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            extra = 2, minimum = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            extra = 3, minimum = 0x10000;
        } else {
            out += kReplacement;
            i++;
            continue;
        }
        uint32_t code = b & (0x3F >> extra);
        bool valid = i + extra < bytes.size();
        for (size_t k = 1; valid && k <= extra; k++) {
            valid = (byte(i + k) & 0xC0) == 0x80;
            code = (code << 6) | (byte(i + k) & 0x3F);
        }
        valid = valid && code >= minimum && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
        if (!valid) {
            out += kReplacement;
            i++;
            continue;
        }
        for (size_t k = 0; k <= extra; k++) {
            out += char(byte(i + k));
        }
        i += extra + 1;
    }
    return out;
}

}  // namespace gomhc::trainer
