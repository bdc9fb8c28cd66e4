#include "model_files.h"

#include <cstring>

#include "checkpoint.h"

namespace gomhc::trainer {

namespace fs = std::filesystem;

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
            {"seed", c.seed}};
}

GptConfig config_from_json(const nlohmann::json &j, const std::string &where) {
    try {
        GptConfig c;
        c.vocab = j.at("vocab");
        c.padded_vocab = j.at("padded_vocab");
        c.layers = j.at("layers");
        c.width = j.at("width");
        c.heads = j.at("heads");
        c.context = j.at("context");
        c.method = parse_method(j.at("method").get<std::string>());
        c.d = j.at("d");
        c.s = j.at("s");
        c.seed = j.at("seed");
        return c;
    } catch (const nlohmann::json::exception &e) {
        throw CheckpointError(where + ": the model config is incomplete (" + e.what() + ")");
    }
}

namespace {

void upload_all(Device device, float *data, const std::vector<float> &host) {
    if (device == Device::cuda) {
        cuda_upload(data, host.data(), host.size());
    } else {
        std::memcpy(data, host.data(), host.size() * sizeof(float));
    }
}

}  // namespace

std::string model_bytes(Gpt &gpt) {
    const std::vector<float> host = host_copy(gpt.device(), gpt.params(), gpt.num_params());
    std::vector<NamedTensor> tensors;
    for (const ParamTensor &t : gpt.layout()) {
        tensors.push_back({t.name, t.shape, host.data() + t.offset});
    }
    return safetensors_bytes(
        tensors, {{"format", "gomhc-gpt"}, {"config", config_json(gpt.config()).dump()}});
}

std::vector<float> host_copy(Device device, const float *data, int64_t count) {
    std::vector<float> host(static_cast<size_t>(count));
    if (device == Device::cuda) {
        cuda_download(host.data(), data, size_t(count));
    } else {
        std::memcpy(host.data(), data, size_t(count) * sizeof(float));
    }
    return host;
}

void load_model_weights(Gpt &gpt, const std::string &bytes, const std::string &where) {
    const Safetensors file = parse_safetensors(bytes, where);
    std::vector<float> host(static_cast<size_t>(gpt.num_params()));
    for (const ParamTensor &t : gpt.layout()) {
        const auto it = file.tensors.find(t.name);
        if (it == file.tensors.end()) {
            throw CheckpointError(where + ": no tensor " + t.name +
                                  " (a checkpoint of another model configuration?)");
        }
        if (it->second.shape != t.shape) {
            throw CheckpointError(where + ": tensor " + t.name + " has another shape than this " +
                                  "model's (a checkpoint of another model configuration?)");
        }
        std::copy(it->second.data.begin(), it->second.data.end(), host.begin() + t.offset);
    }
    upload_all(gpt.device(), gpt.params(), host);
}

std::string optimizer_bytes(Adamw &opt, int64_t n) {
    const std::vector<float> m = host_copy(opt.device(), opt.first_moment(), n);
    const std::vector<float> v = host_copy(opt.device(), opt.second_moment(), n);
    return safetensors_bytes({{"exp_avg", {n}, m.data()}, {"exp_avg_sq", {n}, v.data()}},
                             {{"format", "gomhc-adamw"}, {"steps", std::to_string(opt.steps())}});
}

void load_optimizer(Adamw &opt, int64_t n, const std::string &bytes, const std::string &where) {
    const Safetensors file = parse_safetensors(bytes, where);
    for (const char *name : {"exp_avg", "exp_avg_sq"}) {
        const auto it = file.tensors.find(name);
        if (it == file.tensors.end() || it->second.shape != std::vector<int64_t>{n}) {
            throw CheckpointError(where + ": no tensor " + name + " of " + std::to_string(n) +
                                  " floats (a checkpoint of another model configuration?)");
        }
        upload_all(opt.device(),
                   std::strcmp(name, "exp_avg") == 0 ? opt.first_moment() : opt.second_moment(),
                   it->second.data);
    }
}

namespace {

constexpr const char *kCheckpointFiles[] = {"model.safetensors", "optimizer.safetensors"};

// A weights or moments file waiting for its rename (write_checkpoint).
fs::path pending(const fs::path &dir, const std::string &name) { return dir / (name + ".next"); }

}  // namespace

CheckpointFiles read_checkpoint(const fs::path &dir) {
    const fs::path state_path = dir / "state.json";
    CheckpointFiles out;
    try {
        out.state = nlohmann::json::parse(read_file(state_path));
    } catch (const nlohmann::json::exception &e) {
        throw CheckpointError(state_path.string() + ": not valid JSON (" + e.what() + ")");
    }
    for (const std::string name : kCheckpointFiles) {
        const fs::path path = dir / name;
        const uint32_t want = out.state.at("checksums").value(name, 0u);
        std::string bytes = fs::exists(path) ? read_file(path) : std::string();
        if (crc32_of(bytes) != want && fs::exists(pending(dir, name))) {
            // A save stopped between state.json and the renames: the pending
            // file is the one state.json names, so finish the rename.
            std::string next = read_file(pending(dir, name));
            if (crc32_of(next) == want) {
                if (std::rename(pending(dir, name).c_str(), path.c_str()) != 0) {
                    throw CheckpointError("cannot rename " + pending(dir, name).string() +
                                          " into " + path.string() + ": " + std::strerror(errno));
                }
                bytes = std::move(next);
            }
        }
        if (crc32_of(bytes) != want) {
            throw CheckpointError(path.string() + ": its CRC-32 does not match state.json " +
                                  "(the file is corrupted or truncated)");
        }
        (name == kCheckpointFiles[0] ? out.model : out.optimizer) = std::move(bytes);
    }
    return out;
}

void write_checkpoint(const fs::path &dir, Gpt &gpt, Adamw &opt, nlohmann::json state) {
    // state.json is the commit: the new files are durable under their
    // pending names before it names their checksums, and renamed after.
    // Stopped before the commit, the old set is intact; stopped after it,
    // read_checkpoint finishes the renames.
    const std::string files[] = {model_bytes(gpt), optimizer_bytes(opt, gpt.num_params())};
    for (size_t i = 0; i < 2; i++) {
        write_file_atomically(pending(dir, kCheckpointFiles[i]), files[i]);
        state["checksums"][kCheckpointFiles[i]] = crc32_of(files[i]);
    }
    write_file_atomically(dir / "state.json", state.dump(2) + "\n");
    for (const std::string name : kCheckpointFiles) {
        if (std::rename(pending(dir, name).c_str(), (dir / name).c_str()) != 0) {
            throw CheckpointError("cannot rename " + pending(dir, name).string() + " into " +
                                  (dir / name).string() + ": " + std::strerror(errno));
        }
    }
    fsync_directory(dir);
}

}  // namespace gomhc::trainer
