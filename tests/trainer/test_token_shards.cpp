// The trainer's data files: llm.c token shards written and read back, byte
// tokens, and every malformed file refused with a message naming it.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "token_shards.h"

namespace fs = std::filesystem;
using namespace gomhc::trainer;

namespace {

fs::path scratch(const std::string &name) {
    const fs::path dir = fs::temp_directory_path() / "gomhc_test_token_shards";
    fs::create_directories(dir);
    return dir / name;
}

// Raw bytes, to build malformed shards.
void write_bytes(const fs::path &path, const std::vector<int32_t> &header,
                 const std::vector<uint16_t> &tokens) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(header.data()),
              std::streamsize(header.size() * sizeof(int32_t)));
    out.write(reinterpret_cast<const char *>(tokens.data()),
              std::streamsize(tokens.size() * sizeof(uint16_t)));
}

std::vector<int32_t> header_of(int32_t magic, int32_t version, int32_t count) {
    std::vector<int32_t> h(kShardHeaderInts, 0);
    h[0] = magic;
    h[1] = version;
    h[2] = count;
    return h;
}

void check_refused(const fs::path &path, const std::string &why) {
    INFO(path.string() << " should be refused for: " << why);
    try {
        read_shard(path);
        FAIL("read_shard accepted it");
    } catch (const ShardError &e) {
        const std::string message = e.what();
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find(why) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("token shards: written and read back exactly, in llm.c's layout") {
    const std::vector<uint16_t> tokens = {0, 1, 255, 50256, 65535, 7};
    const fs::path path = scratch("round_trip.bin");
    write_shard(path, tokens);
    CHECK(read_shard(path) == tokens);
    CHECK(fs::file_size(path) == 256 * 4 + tokens.size() * 2);
    CHECK_FALSE(fs::exists(path.string() + ".partial"));
    // The header as llm.c's loaders read it.
    std::ifstream in(path, std::ios::binary);
    int32_t head[3] = {};
    in.read(reinterpret_cast<char *>(head), sizeof(head));
    CHECK(head[0] == 20240520);
    CHECK(head[1] == 1);
    CHECK(head[2] == int32_t(tokens.size()));

    const fs::path empty = scratch("empty.bin");
    write_shard(empty, {});
    CHECK(read_shard(empty).empty());
}

TEST_CASE("token shards: malformed files are refused, naming the file and the problem") {
    const fs::path missing = scratch("does_not_exist.bin");
    fs::remove(missing);
    check_refused(missing, "cannot open");

    const fs::path short_header = scratch("short_header.bin");
    write_bytes(short_header, std::vector<int32_t>(10, 0), {});
    check_refused(short_header, "header");

    const fs::path bad_magic = scratch("bad_magic.bin");
    write_bytes(bad_magic, header_of(12345, 1, 2), {1, 2});
    check_refused(bad_magic, "magic 12345");

    const fs::path bad_version = scratch("bad_version.bin");
    write_bytes(bad_version, header_of(kShardMagic, 7, 2), {1, 2});
    check_refused(bad_version, "version 7");

    const fs::path truncated = scratch("truncated.bin");
    write_bytes(truncated, header_of(kShardMagic, 1, 5), {1, 2, 3});
    check_refused(truncated, "truncated");

    const fs::path padded = scratch("padded.bin");
    write_bytes(padded, header_of(kShardMagic, 1, 1), {1, 2, 3});
    check_refused(padded, "padded");

    const fs::path negative = scratch("negative.bin");
    write_bytes(negative, header_of(kShardMagic, 1, -4), {});
    check_refused(negative, "negative");
}

TEST_CASE("token shards: a shard that cannot be written leaves nothing behind") {
    const fs::path dir = scratch("not_a_directory");
    std::ofstream(dir) << "a file, not a folder";
    const fs::path inside = dir / "shard.bin";
    CHECK_THROWS_AS(write_shard(inside, {1, 2, 3}), ShardError);
    CHECK_FALSE(fs::exists(inside));
}

TEST_CASE("byte tokens: one token per byte, bytes above 127 included") {
    const std::string text = "Ab\n\xc3\xa9";  // "é" in UTF-8 is two bytes
    CHECK(byte_tokens(text) == std::vector<uint16_t>{65, 98, 10, 0xc3, 0xa9});
    CHECK(byte_tokens("").empty());
}
