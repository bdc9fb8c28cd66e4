#include "checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "json_fields.h"

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
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + long(length));
    } catch (const nlohmann::json::exception &e) {
        fail("the safetensors header is not JSON (" + json_error_text(e) + ")");
    }
    const JsonObject header(json, where + " (safetensors header)");
    Safetensors out;
    const size_t data_start = 8 + size_t(length);
    const uint64_t data_size = bytes.size() - data_start;
    // Byte ranges of the tensors, to refuse overlaps and holes.
    std::vector<std::tuple<uint64_t, uint64_t, std::string>> ranges;
    for (const auto &[name, value] : json.items()) {
        if (name == "__metadata__") {
            const JsonObject metadata(value, where + " (safetensors header)", name);
            for (const auto &[key, text] : value.items()) {
                out.metadata[key] = metadata.string(key);
            }
            continue;
        }
        const JsonObject t(value, where + " (safetensors header)", name);
        const std::string dtype = t.string("dtype");
        if (dtype != "F32") {
            fail("tensor " + name + " has dtype " + dtype + ", expected F32");
        }
        LoadedTensor tensor;
        tensor.shape = t.integers("shape", 0, INT64_MAX);
        uint64_t count = 1;
        for (int64_t e : tensor.shape) {
            if (e != 0 && count > data_size / sizeof(float) / uint64_t(e)) {
                count = UINT64_MAX;  // more than the file holds
                break;
            }
            count *= uint64_t(e);
        }
        const std::vector<int64_t> offsets = t.integers("data_offsets", 0, INT64_MAX);
        if (offsets.size() != 2) {
            t.fail("data_offsets",
                   "has " + std::to_string(offsets.size()) + " entries, expected 2 (begin, end)");
        }
        const uint64_t begin = uint64_t(offsets[0]), end = uint64_t(offsets[1]);
        if (end > data_size) {
            fail("tensor " + name + "'s data [" + std::to_string(begin) + ", " +
                 std::to_string(end) + ") lies past the end of the file's " +
                 std::to_string(data_size) + " data bytes (truncated?)");
        }
        if (count == UINT64_MAX || end < begin || end - begin != count * sizeof(float)) {
            fail("tensor " + name + ": data_offsets [" + std::to_string(begin) + ", " +
                 std::to_string(end) + ") do not hold its shape's " +
                 (count == UINT64_MAX ? std::string("elements (more than the file's ") +
                                            std::to_string(data_size) + " data bytes)"
                                      : std::to_string(count) + " floats"));
        }
        tensor.data.resize(size_t(count));
        if (count > 0) {
            std::memcpy(tensor.data.data(), bytes.data() + data_start + begin,
                        count * sizeof(float));
        }
        ranges.emplace_back(begin, end, name);
        out.tensors[name] = std::move(tensor);
    }
    // As the format asks: the tensors tile the data exactly, no byte read
    // twice and none left over.
    std::sort(ranges.begin(), ranges.end());
    uint64_t covered = 0;
    std::string previous;
    for (const auto &[begin, end, name] : ranges) {
        if (begin < covered) {
            fail("tensors " + previous + " and " + name + " overlap at byte " +
                 std::to_string(begin) + " of the data");
        }
        if (begin > covered) {
            fail("bytes " + std::to_string(covered) + " to " + std::to_string(begin) +
                 " of the data belong to no tensor (before " + name + ")");
        }
        covered = end;
        previous = name;
    }
    if (covered != data_size) {
        fail(std::to_string(data_size - covered) + " bytes after the last tensor's data" +
             (previous.empty() ? std::string() : " (" + previous + ")") + " belong to no tensor");
    }
    return out;
}

void check_finite(const std::string &name, const float *values, size_t count,
                  const std::string &where) {
    for (size_t i = 0; i < count; i++) {
        if (!std::isfinite(values[i])) {
            std::ostringstream value;
            value << values[i];
            throw CheckpointError(where + ": tensor " + name + " holds " + value.str() +
                                  " at element " + std::to_string(i) + " of " +
                                  std::to_string(count) + " (it must be finite)");
        }
    }
}

}  // namespace gomhc::trainer
