// Checkpoint files: safetensors (an 8-byte little-endian header length, a
// JSON header naming each tensor's dtype, shape and byte range, then the raw
// little-endian data), written atomically, with a CRC-32 per file so a
// corrupted or truncated file is caught before anything is loaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace gomhc::trainer {

class CheckpointError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct NamedTensor {
    std::string name;
    std::vector<int64_t> shape;
    const float *data;
};

// Writes `bytes` to `path` through a temporary file in the same folder:
// write, fsync, rename, fsync the folder. A failure leaves any previous file
// untouched and throws CheckpointError naming the path.
void write_file_atomically(const std::filesystem::path &path, const std::string &bytes);
// Makes the folder's entries (renames) durable.
void fsync_directory(const std::filesystem::path &dir);
std::string read_file(const std::filesystem::path &path);
uint32_t crc32_of(const std::string &bytes);

// The bytes of a safetensors file of float32 tensors, in the order given.
std::string safetensors_bytes(const std::vector<NamedTensor> &tensors,
                              const std::map<std::string, std::string> &metadata);

struct LoadedTensor {
    std::vector<int64_t> shape;
    std::vector<float> data;
};
struct Safetensors {
    std::map<std::string, std::string> metadata;
    std::map<std::string, LoadedTensor> tensors;
};
// Parses a safetensors file of float32 tensors. Throws CheckpointError
// naming `where` and the tensor or header field for anything but a valid
// file: a header length past the end, a field of the wrong type, a dtype
// other than F32, a shape its byte range does not hold, tensors that overlap
// or leave bytes of the data unused.
Safetensors parse_safetensors(const std::string &bytes, const std::string &where);
// Throws CheckpointError naming `where`, the tensor and the element at the
// first NaN or infinity.
void check_finite(const std::string &name, const float *values, size_t count,
                  const std::string &where);

}  // namespace gomhc::trainer
