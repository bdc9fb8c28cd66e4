// Typed reading of the trainer's JSON (state.json, the model config, the
// safetensors header). A missing field, or one of the wrong type or range,
// throws CheckpointError naming the file and the field's path
// ("state.json: field 'config.width' is a string, expected an integer in
// [1, 1048576]"), never the JSON library's own text.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gomhc::trainer {

// "a string", "an array", "the number 1.5", ...: how messages name a value.
std::string json_kind(const nlohmann::json &value);
// A parse error's text without the library's "[json.exception...] " tag:
// "parse error at line 1, column 9: syntax error ...".
std::string json_error_text(const nlohmann::json::exception &error);

class JsonObject {
public:
    // Throws unless `value` is an object; `where` names the file, `path` the
    // object inside it ("" for the top level).
    JsonObject(const nlohmann::json &value, std::string where, std::string path = "");

    const nlohmann::json &value() const { return *value_; }
    bool has(const std::string &key) const { return value_->contains(key); }
    // The field's path as messages give it ("config.width").
    std::string path_of(const std::string &key) const;
    [[noreturn]] void fail(const std::string &key, const std::string &problem) const;

    // The field; throws when it is missing.
    const nlohmann::json &at(const std::string &key) const;
    JsonObject object(const std::string &key) const;
    int64_t integer(const std::string &key, int64_t low, int64_t high) const;
    uint64_t unsigned_integer(const std::string &key, uint64_t high = UINT64_MAX) const;
    std::string string(const std::string &key) const;
    // An array of integers in [low, high].
    std::vector<int64_t> integers(const std::string &key, int64_t low, int64_t high) const;

private:
    const nlohmann::json *value_;
    std::string where_, path_;
};

}  // namespace gomhc::trainer
