#include "checkpoint_state.h"

#include "checkpoint.h"
#include "json_fields.h"

namespace gomhc::trainer {

namespace {

// Bounds that keep the arithmetic on a config in range; check_config
// holds the tighter rules a model needs.
constexpr int64_t kMaxExtent = int64_t(1) << 31;

}  // namespace

nlohmann::json config_json(const GptConfig &c) {
    return {{"vocab", c.vocab},
            {"padded_vocab", c.padded_vocab},
            {"layers", c.layers},
            {"width", c.width},
            {"heads", c.heads},
            {"context", c.context},
            {"method", method_name(c.method)},
            {"d", c.d},
            {"s", c.s},
            {"seed", c.seed},
            {"start", c.symmetric_start ? "symmetric" : "home"},
            {"output", stream_output_name(c.output)}};
}

GptConfig config_from_json(const nlohmann::json &json, const std::string &where,
                           const std::string &path) {
    const JsonObject j(json, where, path);
    GptConfig c;
    c.vocab = j.integer("vocab", 1, kMaxExtent);
    c.padded_vocab = j.integer("padded_vocab", 1, kMaxExtent);
    c.layers = j.integer("layers", 1, kMaxExtent);
    c.width = j.integer("width", 1, kMaxExtent);
    c.heads = j.integer("heads", 1, kMaxExtent);
    c.context = j.integer("context", 1, kMaxExtent);
    const std::string method = j.string("method");
    try {
        c.method = parse_method(method);
    } catch (const Error &e) {
        j.fail("method", std::string("is not a method: ") + e.what());
    }
    c.d = int(j.integer("d", 1, kMaxN));
    c.s = int(j.integer("s", 1, kMaxN));
    c.seed = j.unsigned_integer("seed");
    // Configs written before the home-stream start and the choice of output
    // lack these: they trained with the symmetric start and normalised each
    // stream before summing.
    const std::string start = j.has("start") ? j.string("start") : "symmetric";
    if (start != "home" && start != "symmetric") {
        j.fail("start", "is '" + start + "', expected 'home' or 'symmetric'");
    }
    c.symmetric_start = start == "symmetric";
    const std::string output = j.has("output") ? j.string("output") : "sum";
    try {
        c.output = parse_stream_output(output, "output");
    } catch (const Error &e) {
        j.fail("output", std::string("is not a stream output: ") + e.what());
    }
    return c;
}

CheckpointState parse_state(const std::string &text, const std::string &where) {
    CheckpointState state;
    try {
        state.json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        throw CheckpointError(where + ": not valid JSON (" + json_error_text(e) + ")");
    }
    const JsonObject j(state.json, where);
    state.step = j.integer("step", 0, INT64_MAX);
    state.config = config_from_json(j.at("config"), where);
    const JsonObject checksums = j.object("checksums");
    for (const char *file : {"model.safetensors", "optimizer.safetensors"}) {
        state.checksums[file] = uint32_t(checksums.unsigned_integer(file, UINT32_MAX));
    }
    state.run = j.has("run") ? j.object("run").value() : nlohmann::json::object();
    return state;
}

}  // namespace gomhc::trainer
