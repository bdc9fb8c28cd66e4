// The checkpoint readers on hostile files (tests/fuzz finds more): a header
// of the right syntax and the wrong shape, offsets past the end, overlapping
// tensors, a shape whose element count overflows, a negative step, NaN or
// infinite weights. Each is refused with a message naming the file and the
// field or tensor, never the JSON library's own text.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "model_files.h"
#include "checkpoint_state.h"
#include "tokenizer.h"
#include "train_fixtures.h"

namespace fs = std::filesystem;
using gomhc::trainer::CheckpointError;
using gomhc::trainer::parse_safetensors;
using gomhc::trainer::parse_state;
using json = nlohmann::json;
using namespace gomhc_test;

namespace {

// A safetensors file of a raw header and `floats` zero floats of data.
std::string safetensors(const std::string &header, size_t floats) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; i++) {
        bytes[size_t(i)] = char((uint64_t(header.size()) >> (8 * i)) & 0xff);
    }
    return bytes + header + std::string(floats * sizeof(float), '\0');
}

// The message parse_safetensors refuses `bytes` with.
std::string safetensors_error(const std::string &bytes) {
    return error_of([&] { parse_safetensors(bytes, "w.safetensors"); });
}

// A valid state.json of a tiny run, to spoil one field of.
json good_state() {
    gomhc::trainer::GptConfig c;
    return {{"step", 4},
            {"config", gomhc::trainer::config_json(c)},
            {"checksums", {{"model.safetensors", 1}, {"optimizer.safetensors", 2}}},
            {"run", {{"batch", 4}}}};
}

std::string state_error(const json &state) {
    return error_of([&] { parse_state(state.dump(), "run/state.json"); });
}

// No message may be the JSON library's own ("[json.exception...").
void check_clear(const std::string &message, const std::vector<std::string> &parts) {
    INFO(message);
    CHECK_FALSE(contains(message, "json.exception"));
    for (const std::string &part : parts) {
        CHECK(contains(message, part));
    }
}

}  // namespace

TEST_CASE("safetensors: a valid file reads back, metadata and all") {
    const std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {7};
    const std::string bytes = gomhc::trainer::safetensors_bytes(
        {{"a", {2, 3}, a.data()}, {"b", {1}, b.data()}}, {{"format", "x"}});
    const auto file = parse_safetensors(bytes, "w.safetensors");
    CHECK(file.metadata.at("format") == "x");
    CHECK(file.tensors.at("a").shape == std::vector<int64_t>{2, 3});
    CHECK(file.tensors.at("a").data == a);
    CHECK(file.tensors.at("b").data == b);
}

TEST_CASE("safetensors: headers of the right syntax and the wrong shape name the field") {
    const std::string entry = R"("dtype":"F32","data_offsets":[0,8])";
    check_clear(safetensors_error(safetensors(R"(["a"])", 0)),
                {"w.safetensors", "an array", "expected a JSON object"});
    check_clear(safetensors_error(safetensors(R"({"a":"F32"})", 0)), {"w.safetensors", "'a'"});
    // The issue's case: a shape given as a string.
    check_clear(safetensors_error(safetensors(R"({"a":{"shape":"2",)" + entry + "}}", 2)),
                {"w.safetensors", "'a.shape'", "a string", "array of integers"});
    check_clear(
        safetensors_error(safetensors(R"({"a":{"shape":[2],"dtype":7,"data_offsets":[0,8]}})", 2)),
        {"'a.dtype'", "the number 7"});
    check_clear(safetensors_error(safetensors(R"({"a":{"shape":[-2],)" + entry + "}}", 2)),
                {"'a.shape'", "-2"});
    check_clear(safetensors_error(safetensors(R"({"a":{"shape":[2.5],)" + entry + "}}", 2)),
                {"'a.shape'", "2.5"});
    check_clear(safetensors_error(safetensors(R"({"a":{"shape":[2],"dtype":"F32"}})", 2)),
                {"no field 'a.data_offsets'"});
    check_clear(safetensors_error(
                    safetensors(R"({"a":{"shape":[2],"dtype":"F32","data_offsets":[0]}})", 2)),
                {"'a.data_offsets'", "expected 2"});
    check_clear(safetensors_error(
                    safetensors(R"({"a":{"shape":[2],"dtype":"F16","data_offsets":[0,8]}})", 2)),
                {"tensor a", "F16"});
    check_clear(safetensors_error(safetensors(R"({"__metadata__":{"k":3}})", 0)),
                {"'__metadata__.k'", "the number 3"});
    check_clear(safetensors_error(safetensors(R"({"__metadata__":[]})", 0)), {"'__metadata__'"});
}

TEST_CASE("safetensors: lengths, offsets and shapes that do not fit the file") {
    const std::string one = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    // A header length past the end (the file is truncated, or the length is huge).
    std::string huge = safetensors(one, 2);
    huge[7] = char(0x7f);
    check_clear(safetensors_error(huge), {"w.safetensors", "truncated", "header announces"});
    check_clear(safetensors_error(safetensors(one, 2).substr(0, 5)), {"truncated"});
    // The data cut short.
    const std::string full = safetensors(one, 2);
    check_clear(safetensors_error(full.substr(0, full.size() - 1)),
                {"tensor a", "past the end", "truncated"});
    // Offsets that disagree with the shape, or run backwards.
    check_clear(safetensors_error(
                    safetensors(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 3)),
                {"tensor a", "3 floats"});
    check_clear(safetensors_error(
                    safetensors(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 2)),
                {"tensor a"});
    // 2^62 x 4 floats is 2^66 bytes: the byte count wraps to 0 in 64 bits.
    check_clear(
        safetensors_error(safetensors(
            R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})", 0)),
        {"tensor a", "more than the file"});
    // Two tensors over the same bytes, and bytes no tensor uses.
    check_clear(
        safetensors_error(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                      3)),
        {"tensors a and b overlap"});
    check_clear(safetensors_error(
                    safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 2)),
                {"bytes 0 to 4", "no tensor"});
    check_clear(safetensors_error(safetensors(one, 3)), {"4 bytes after", "no tensor"});
}

TEST_CASE("state.json: every field is checked for type and range, naming it") {
    CHECK(parse_state(good_state().dump(), "run/state.json").step == 4);
    json s = good_state();
    s["step"] = -4;  // the issue's case: once reported as gomhc::Adamw::set_steps
    check_clear(state_error(s), {"run/state.json", "'step'", "-4"});
    s = good_state();
    s["step"] = "4";
    check_clear(state_error(s), {"run/state.json", "'step'", "a string"});
    s = good_state();
    s["config"]["width"] = "64";
    check_clear(state_error(s), {"run/state.json", "'config.width'", "a string"});
    s = good_state();
    s["config"]["layers"] = 0;
    check_clear(state_error(s), {"'config.layers'"});
    s = good_state();
    s["config"]["method"] = "nope";
    check_clear(state_error(s), {"'config.method'", "nope"});
    s = good_state();
    s["config"].erase("d");
    check_clear(state_error(s), {"no field 'config.d'"});
    s = good_state();
    s["checksums"]["model.safetensors"] = -1;
    check_clear(state_error(s), {"'checksums.model.safetensors'"});
    s = good_state();
    s["checksums"] = "none";
    check_clear(state_error(s), {"'checksums'", "a string"});
    s = good_state();
    s["run"] = 3;
    check_clear(state_error(s), {"'run'"});
    check_clear(state_error(json::array({1})), {"run/state.json", "an array"});
    check_clear(error_of([&] { parse_state("{\"step\":", "run/state.json"); }),
                {"run/state.json", "not valid JSON"});
}

TEST_CASE("weights: NaN or infinity in --init or a checkpoint is refused, naming the tensor") {
    const fs::path dir = scratch("readers_finite");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir / "out");
    gomhc::trainer::Gpt gpt(s.model, 1);
    const auto &layout = gpt.layout();
    REQUIRE(layout.size() > 3);
    for (const float bad : {NAN, INFINITY, -INFINITY}) {
        gpt.params()[layout[3].offset + 1] = bad;
        const std::string bytes = gomhc::trainer::model_bytes(gpt);
        gomhc::trainer::write_file_atomically(dir / "bad.safetensors", bytes);
        TrainSettings t = s;
        t.init = dir / "bad.safetensors";
        const std::string message = error_of([&] { run(t); });
        check_clear(message,
                    {"--init", "bad.safetensors", "tensor " + layout[3].name, "element 1"});
        CHECK(contains(message, bad != bad ? "nan" : "inf"));
        CHECK_FALSE(fs::exists(t.out));  // nothing written
        gomhc::trainer::Gpt other(s.model, 1);
        CHECK(contains(error_of([&] {
                           gomhc::trainer::load_model_weights(other, bytes, "model.safetensors");
                       }),
                       "tensor " + layout[3].name));
    }
}

TEST_CASE("optimizer: moments that are not finite, or a negative second moment, are refused") {
    const int64_t n = 5;
    gomhc::Adamw opt(n, {});
    for (const auto &[name, value, words] :
         {std::tuple<std::string, float, std::string>{"exp_avg", NAN, "nan"},
          {"exp_avg_sq", INFINITY, "inf"},
          {"exp_avg_sq", -1.0f, "never negative"}}) {
        std::vector<float> m(n, 0.0f), v(n, 0.0f);
        (name == "exp_avg" ? m : v)[2] = value;
        const std::string bytes = gomhc::trainer::safetensors_bytes(
            {{"exp_avg", {n}, m.data()}, {"exp_avg_sq", {n}, v.data()}}, {});
        check_clear(
            error_of([&] { gomhc::trainer::load_optimizer(opt, n, bytes, "o.safetensors"); }),
            {"o.safetensors", "tensor " + name, "element 2", words});
    }
}

TEST_CASE("tokenizer: an end-of-text id outside the vocabulary is refused") {
    const fs::path path = scratch("readers_tokenizer") / "eot.bin";
    std::vector<uint32_t> header(256, 0);
    header[0] = 20240328;
    header[1] = 2;
    header[2] = 2;
    header[3] = 2;  // ids are 0 and 1
    std::string bytes(reinterpret_cast<const char *>(header.data()), header.size() * 4);
    bytes += std::string(
        "\x01"
        "a"
        "\x01"
        "b",
        4);
    std::ofstream(path, std::ios::binary) << bytes;
    check_clear(error_of([&] { gomhc::trainer::Tokenizer::load(path); }),
                {"eot.bin", "end-of-text id 2", "2 tokens"});
}

TEST_CASE("checkpoint: weights that are not finite are not saved; the old checkpoint stays") {
    const fs::path dir = scratch("readers_save");
    const fs::path data = write_shards(dir);
    TrainSettings s = tiny_settings(data, dir / "out");
    s.steps = 2;
    run(s);
    const std::string state = file_bytes(s.out / "state.json");
    const std::string model = file_bytes(s.out / "model.safetensors");
    gomhc::trainer::Gpt gpt(s.model, 1);
    gomhc::Adamw opt(gpt.num_params(), gpt.decayed_ranges());
    const auto &last = gpt.layout().back();
    gpt.params()[last.offset] = INFINITY;
    const std::string message = error_of([&] {
        gomhc::trainer::write_checkpoint(s.out, gpt, opt, {{"step", 3}});
    });
    check_clear(message, {"not saved", "tensor " + last.name, "holds inf at element 0"});
    CHECK(file_bytes(s.out / "state.json") == state);
    CHECK(file_bytes(s.out / "model.safetensors") == model);
    CHECK_FALSE(fs::exists(s.out / "model.safetensors.next"));
}
