#include "model_files.h"

#include <cstring>

#include "checkpoint.h"
#include "weights_file.h"

namespace gomhc::trainer {

namespace fs = std::filesystem;

namespace {

std::string model_bytes_of(Gpt &gpt, const std::vector<float> &host) {
    std::vector<NamedTensor> tensors;
    for (const ParamTensor &t : gpt.layout()) {
        tensors.push_back({t.name, t.shape, host.data() + t.offset});
    }
    return safetensors_bytes(
        tensors, {{"format", "gomhc-gpt"}, {"config", config_json(gpt.config()).dump()}});
}

}  // namespace

std::string model_bytes(Gpt &gpt) { return model_bytes_of(gpt, host_copy(gpt.params_view())); }

std::vector<float> host_copy(const TensorView &view) {
    std::vector<float> host(static_cast<size_t>(view.size()));
    download(view, host.data());
    return host;
}

void load_model_weights(Gpt &gpt, const std::string &bytes, const std::string &where) {
    upload(weights_from_file(bytes, gpt.layout(), gpt.num_params(), where).data(),
           gpt.params_view());
}

std::string optimizer_bytes(Adamw &opt, int64_t n) {
    const std::vector<float> m = host_copy(opt.first_moment_view());
    const std::vector<float> v = host_copy(opt.second_moment_view());
    return safetensors_bytes({{"exp_avg", {n}, m.data()}, {"exp_avg_sq", {n}, v.data()}},
                             {{"format", "gomhc-adamw"}, {"steps", std::to_string(opt.steps())}});
}

void load_optimizer(Adamw &opt, int64_t n, const std::string &bytes, const std::string &where) {
    // Both are checked before either is loaded.
    const Moments moments = moments_from_file(bytes, n, where);
    upload(moments.first.data(), opt.first_moment_view());
    upload(moments.second.data(), opt.second_moment_view());
}

namespace {

constexpr const char *kCheckpointFiles[] = {"model.safetensors", "optimizer.safetensors"};

// A weights or moments file waiting for its rename (write_checkpoint).
fs::path pending(const fs::path &dir, const std::string &name) { return dir / (name + ".next"); }

}  // namespace

CheckpointFiles read_checkpoint(const fs::path &dir) {
    const fs::path state_path = dir / "state.json";
    CheckpointFiles out;
    out.state = parse_state(read_file(state_path), state_path.string());
    for (const std::string name : kCheckpointFiles) {
        const fs::path path = dir / name;
        const uint32_t want = out.state.checksums.at(name);
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
    const std::vector<float> weights = host_copy(gpt.params_view());
    for (const ParamTensor &t : gpt.layout()) {
        int64_t count = 1;
        for (int64_t e : t.shape) {
            count *= e;
        }
        check_finite(t.name, weights.data() + t.offset, size_t(count),
                     "the weights to save in " + dir.string() + " (not saved)");
    }
    const std::string files[] = {model_bytes_of(gpt, weights),
                                 optimizer_bytes(opt, gpt.num_params())};
    try {
        for (size_t i = 0; i < 2; i++) {
            write_file_atomically(pending(dir, kCheckpointFiles[i]), files[i]);
            state["checksums"][kCheckpointFiles[i]] = crc32_of(files[i]);
        }
        write_file_atomically(dir / "state.json", state.dump(2) + "\n");
    } catch (const CheckpointError &) {
        // Before the commit: the old set stands; free what the new one took
        // (on a full disk, the room the next try needs).
        for (const std::string name : kCheckpointFiles) {
            std::error_code ec;
            fs::remove(pending(dir, name), ec);
        }
        throw;
    }
    for (const std::string name : kCheckpointFiles) {
        if (std::rename(pending(dir, name).c_str(), (dir / name).c_str()) != 0) {
            throw CheckpointError("cannot rename " + pending(dir, name).string() + " into " +
                                  (dir / name).string() + ": " + std::strerror(errno));
        }
    }
    fsync_directory(dir);
}

}  // namespace gomhc::trainer
