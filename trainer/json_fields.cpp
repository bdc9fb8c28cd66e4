#include "json_fields.h"

#include <sstream>

#include "checkpoint.h"

namespace gomhc::trainer {

using json = nlohmann::json;

std::string json_kind(const json &value) {
    switch (value.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "an array";
        case json::value_t::string:
            return "a string";
        case json::value_t::boolean:
            return value.get<bool>() ? "true" : "false";
        case json::value_t::binary:
            return "binary data";
        case json::value_t::discarded:
            return "nothing";
        default:
            return "the number " + value.dump();
    }
}

std::string json_error_text(const json::exception &error) {
    const std::string text = error.what();
    const size_t tag_end = text.rfind("] ", text.find(' '));
    return text.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos
               ? text.substr(tag_end + 2)
               : text;
}

namespace {

std::string range_text(int64_t low, int64_t high, bool plural = false) {
    return (plural ? "integers in [" : "an integer in [") + std::to_string(low) + ", " +
           std::to_string(high) + "]";
}

// The integer in `value`, if it is one in [low, high].
bool integer_in(const json &value, int64_t low, int64_t high, int64_t &out) {
    if (value.is_number_unsigned()) {
        const uint64_t v = value.get<uint64_t>();
        if (v > uint64_t(INT64_MAX)) {
            return false;
        }
        out = int64_t(v);
    } else if (value.is_number_integer()) {
        out = value.get<int64_t>();
    } else {
        return false;
    }
    return out >= low && out <= high;
}

}  // namespace

JsonObject::JsonObject(const json &value, std::string where, std::string path)
    : value_(&value), where_(std::move(where)), path_(std::move(path)) {
    if (!value.is_object()) {
        throw CheckpointError(where_ + ": " +
                              (path_.empty() ? "the file" : "field '" + path_ + "'") + " is " +
                              json_kind(value) + ", expected a JSON object");
    }
}

std::string JsonObject::path_of(const std::string &key) const {
    return path_.empty() ? key : path_ + "." + key;
}

void JsonObject::fail(const std::string &key, const std::string &problem) const {
    throw CheckpointError(where_ + ": field '" + path_of(key) + "' " + problem);
}

const json &JsonObject::at(const std::string &key) const {
    const auto it = value_->find(key);
    if (it == value_->end()) {
        throw CheckpointError(where_ + ": no field '" + path_of(key) + "'");
    }
    return *it;
}

JsonObject JsonObject::object(const std::string &key) const {
    return JsonObject(at(key), where_, path_of(key));
}

int64_t JsonObject::integer(const std::string &key, int64_t low, int64_t high) const {
    const json &value = at(key);
    int64_t out = 0;
    if (!integer_in(value, low, high, out)) {
        fail(key, "is " + json_kind(value) + ", expected " + range_text(low, high));
    }
    return out;
}

uint64_t JsonObject::unsigned_integer(const std::string &key, uint64_t high) const {
    const json &value = at(key);
    if (!value.is_number_unsigned() || value.get<uint64_t>() > high) {
        fail(key, "is " + json_kind(value) + ", expected an integer in [0, " +
                      std::to_string(high) + "]");
    }
    return value.get<uint64_t>();
}

std::string JsonObject::string(const std::string &key) const {
    const json &value = at(key);
    if (!value.is_string()) {
        fail(key, "is " + json_kind(value) + ", expected a string");
    }
    return value.get<std::string>();
}

std::vector<int64_t> JsonObject::integers(const std::string &key, int64_t low, int64_t high) const {
    const json &value = at(key);
    if (!value.is_array()) {
        fail(key,
             "is " + json_kind(value) + ", expected an array of " + range_text(low, high, true));
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < value.size(); i++) {
        int64_t v = 0;
        if (!integer_in(value[i], low, high, v)) {
            fail(key, "has " + json_kind(value[i]) + " at index " + std::to_string(i) +
                          ", expected " + range_text(low, high));
        }
        out.push_back(v);
    }
    return out;
}

}  // namespace gomhc::trainer
