// Matching argument names in error messages.
#pragma once

#include <cctype>
#include <string>

namespace gomhc_test {

// Whether msg names `word` as a whole token: "q" matches "'q' has shape" but
// not "dq is NULL", and "d" matches "d = 0" but not "invalid".
inline bool names(const std::string &msg, const std::string &word) {
    auto is_ident = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    };
    for (size_t pos = msg.find(word); pos != std::string::npos; pos = msg.find(word, pos + 1)) {
        const bool left_ok = pos == 0 || !is_ident(msg[pos - 1]);
        const size_t end = pos + word.size();
        const bool right_ok = end == msg.size() || !is_ident(msg[end]);
        if (left_ok && right_ok) {
            return true;
        }
    }
    return false;
}

}  // namespace gomhc_test
