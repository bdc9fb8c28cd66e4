// Text made valid UTF-8: what the tokenizer and the byte vocabulary decode
// to. Apart from the model, so the file readers link without it.
#pragma once

#include <string>

namespace gomhc::trainer {

// Valid UTF-8 is kept, every invalid byte becomes U+FFFD (the replacement
// character).
std::string valid_utf8(const std::string &bytes);

}  // namespace gomhc::trainer
