#include "token_shards.h"

#include <array>
#include <cstring>
#include <fstream>

namespace gomhc::trainer {

namespace {

// The format is little-endian; so is every machine gomhc builds for (x86-64).
static_assert(sizeof(int32_t) == 4 && sizeof(uint16_t) == 2);

std::string where(const std::filesystem::path &path) { return "token shard " + path.string(); }

}  // namespace

void write_shard(const std::filesystem::path &path, const std::vector<uint16_t> &tokens) {
    if (tokens.size() > size_t(INT32_MAX)) {
        throw ShardError(where(path) + ": " + std::to_string(tokens.size()) +
                         " tokens do not fit the header's int32 count");
    }
    std::array<int32_t, kShardHeaderInts> header{};
    header[0] = kShardMagic;
    header[1] = kShardVersion;
    header[2] = int32_t(tokens.size());
    const std::filesystem::path partial = path.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw ShardError(where(path) + ": cannot create " + partial.string());
        }
        out.write(reinterpret_cast<const char *>(header.data()), sizeof(header));
        out.write(reinterpret_cast<const char *>(tokens.data()),
                  std::streamsize(tokens.size() * sizeof(uint16_t)));
        out.close();
        if (!out) {
            std::filesystem::remove(partial);
            throw ShardError(where(path) + ": writing failed (disk full?)");
        }
    }
    std::filesystem::rename(partial, path);
}

std::vector<uint16_t> read_shard(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ShardError(where(path) + ": cannot open it");
    }
    std::array<int32_t, kShardHeaderInts> header{};
    in.read(reinterpret_cast<char *>(header.data()), sizeof(header));
    if (in.gcount() != std::streamsize(sizeof(header))) {
        throw ShardError(where(path) + ": shorter than its " + std::to_string(sizeof(header)) +
                         "-byte header");
    }
    if (header[0] != kShardMagic) {
        throw ShardError(where(path) + ": magic " + std::to_string(header[0]) + ", expected " +
                         std::to_string(kShardMagic) + " (not an llm.c token shard)");
    }
    if (header[1] != kShardVersion) {
        throw ShardError(where(path) + ": version " + std::to_string(header[1]) + ", expected " +
                         std::to_string(kShardVersion));
    }
    if (header[2] < 0) {
        throw ShardError(where(path) + ": negative token count " + std::to_string(header[2]));
    }
    const size_t count = size_t(header[2]);
    const auto size = std::filesystem::file_size(path);
    const auto expected = sizeof(header) + count * sizeof(uint16_t);
    if (size != expected) {
        throw ShardError(where(path) + ": " + std::to_string(size) + " bytes, but its header of " +
                         std::to_string(count) + " tokens means " + std::to_string(expected) +
                         " (truncated or padded)");
    }
    std::vector<uint16_t> tokens(count);
    in.read(reinterpret_cast<char *>(tokens.data()), std::streamsize(count * sizeof(uint16_t)));
    if (in.gcount() != std::streamsize(count * sizeof(uint16_t))) {
        throw ShardError(where(path) + ": reading its tokens failed");
    }
    return tokens;
}

std::vector<uint16_t> byte_tokens(const std::string &text) {
    std::vector<uint16_t> tokens(text.size());
    for (size_t i = 0; i < text.size(); i++) {
        tokens[i] = uint16_t(static_cast<unsigned char>(text[i]));
    }
    return tokens;
}

}  // namespace gomhc::trainer
