#include "checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gomhc::trainer {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_errno(const std::string &what, const fs::path &path) {
    throw CheckpointError("cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

void fsync_path(const fs::path &path, int flags) {
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) {
        fail_errno("open", path);
    }
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) {
        fail_errno("fsync", path);
    }
}

}  // namespace

void write_file_atomically(const fs::path &path, const std::string &bytes) {
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const fs::path temp = dir / ("." + path.filename().string() + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            fail_errno("write", temp);
        }
        out.write(bytes.data(), std::streamsize(bytes.size()));
        out.close();
        if (!out) {
            std::error_code ec;
            fs::remove(temp, ec);
            fail_errno("write", temp);
        }
    }
    fsync_path(temp, O_RDONLY);
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        std::error_code ec;
        fs::remove(temp, ec);
        fail_errno("rename into", path);
    }
    fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

void fsync_directory(const fs::path &dir) { fsync_path(dir, O_RDONLY | O_DIRECTORY); }

std::string read_file(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw CheckpointError("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

uint32_t crc32_of(const std::string &bytes) {
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto *data = reinterpret_cast<const Bytef *>(bytes.data());
    for (size_t done = 0; done < bytes.size();) {
        const size_t chunk = std::min<size_t>(bytes.size() - done, size_t(1) << 30);
        crc = crc32(crc, data + done, uInt(chunk));
        done += chunk;
    }
    return uint32_t(crc);
}

std::string safetensors_bytes(const std::vector<NamedTensor> &tensors,
                              const std::map<std::string, std::string> &metadata) {
    nlohmann::ordered_json header;
    header["__metadata__"] = metadata;
    size_t offset = 0;
    for (const NamedTensor &t : tensors) {
        size_t count = 1;
        for (int64_t e : t.shape) {
            count *= size_t(e);
        }
        header[t.name] = {{"dtype", "F32"},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + count * sizeof(float)}}};
        offset += count * sizeof(float);
    }
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
    std::string bytes(8, '\0');
    const uint64_t length = json.size();
    for (int i = 0; i < 8; i++) {
        bytes[size_t(i)] = char((length >> (8 * i)) & 0xff);
    }
    bytes += json;
    bytes.reserve(bytes.size() + offset);
    for (const NamedTensor &t : tensors) {
        size_t count = 1;
        for (int64_t e : t.shape) {
            count *= size_t(e);
        }
        bytes.append(reinterpret_cast<const char *>(t.data), count * sizeof(float));
    }
    return bytes;
}

Safetensors parse_safetensors(const std::string &bytes, const std::string &where) {
    const auto fail = [&](const std::string &what) { throw CheckpointError(where + ": " + what); };
    if (bytes.size() < 8) {
        fail("truncated (" + std::to_string(bytes.size()) + " bytes, no safetensors header)");
    }
    uint64_t length = 0;
    for (int i = 0; i < 8; i++) {
        length |= uint64_t(uint8_t(bytes[size_t(i)])) << (8 * i);
    }
    if (length > bytes.size() - 8) {
        fail("truncated: the header announces " + std::to_string(length) + " bytes, the file has " +
             std::to_string(bytes.size() - 8) + " after the length");
    }
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes.substr(8, size_t(length)));
    } catch (const nlohmann::json::exception &e) {
        fail(std::string("the safetensors header is not JSON (") + e.what() + ")");
    }
    Safetensors out;
    const size_t data_start = 8 + size_t(length);
    const size_t data_size = bytes.size() - data_start;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            for (auto m = it->begin(); m != it->end(); ++m) {
                out.metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        const auto &t = *it;
        if (t.value("dtype", "") != "F32") {
            fail("tensor " + it.key() + " has dtype " + t.value("dtype", "?") + ", expected F32");
        }
        LoadedTensor tensor;
        tensor.shape = t.at("shape").get<std::vector<int64_t>>();
        const auto offsets = t.at("data_offsets").get<std::vector<size_t>>();
        size_t count = 1;
        for (int64_t e : tensor.shape) {
            count *= size_t(e);
        }
        if (offsets.size() != 2 || offsets[1] < offsets[0] ||
            offsets[1] - offsets[0] != count * sizeof(float) || offsets[1] > data_size) {
            fail("tensor " + it.key() + "'s data lies outside the file (truncated?)");
        }
        tensor.data.resize(count);
        std::memcpy(tensor.data.data(), bytes.data() + data_start + offsets[0],
                    count * sizeof(float));
        out.tensors[it.key()] = std::move(tensor);
    }
    return out;
}

}  // namespace gomhc::trainer
