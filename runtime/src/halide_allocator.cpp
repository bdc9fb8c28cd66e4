// The allocator behind every Halide kernel's heap buffers: a per-thread cache
// of freed blocks, so a trainer's steady state (the same shapes every step,
// or two sizes alternating) allocates nothing. Halide frees each buffer on
// the thread that allocated it, at the end of the scope it lives in, so a
// thread's next call finds the block of the same size in its own cache
// without a lock.
#include <cstdint>
#include <cstdlib>
#include <new>

#include "HalideRuntime.h"

namespace gomhc::detail {
namespace {

// Halide's largest vector alignment (AVX-512 and HVX: 128 bytes); the header
// that records a block's size takes one alignment unit before the data.
constexpr size_t kAlignment = 128;
// Each thread keeps at most this many free blocks and bytes; beyond that a
// freed block goes back to the system.
constexpr size_t kMaxCachedBlocks = 64;
constexpr size_t kMaxCachedBytes = size_t(256) << 20;

struct Block {
    size_t size;  // bytes from the header to the end
    void *base;   // what aligned_alloc returned
};

class BlockCache {
public:
    ~BlockCache() {
        for (size_t i = 0; i < count_; i++) {
            std::free(blocks_[i].base);
        }
        count_ = 0;
        gone = true;
    }
    // A cached block of exactly `size` bytes, or null.
    void *take(size_t size) {
        for (size_t i = count_; i-- > 0;) {
            if (blocks_[i].size == size) {
                void *base = blocks_[i].base;
                blocks_[i] = blocks_[--count_];
                bytes_ -= size;
                return base;
            }
        }
        return nullptr;
    }
    // Keeps the block if there is room; returns whether it did.
    bool keep(void *base, size_t size) {
        if (count_ == kMaxCachedBlocks || bytes_ + size > kMaxCachedBytes) {
            return false;
        }
        blocks_[count_++] = {size, base};
        bytes_ += size;
        return true;
    }

    // Set when this thread's cache is destroyed (thread exit); frees after
    // that go straight to the system.
    static thread_local bool gone;

private:
    Block blocks_[kMaxCachedBlocks];
    size_t count_ = 0, bytes_ = 0;
};

thread_local bool BlockCache::gone = false;
thread_local BlockCache cache;

size_t &header(void *base) { return *static_cast<size_t *>(base); }

void *cached_malloc(void *, size_t bytes) {
    const size_t size = (bytes + 2 * kAlignment - 1) / kAlignment * kAlignment;
    void *base = BlockCache::gone ? nullptr : cache.take(size);
    if (base == nullptr) {
        base = std::aligned_alloc(kAlignment, size);
        if (base == nullptr) {
            return nullptr;
        }
        header(base) = size;
    }
    return static_cast<uint8_t *>(base) + kAlignment;
}

void cached_free(void *, void *ptr) {
    if (ptr == nullptr) {
        return;
    }
    void *base = static_cast<uint8_t *>(ptr) - kAlignment;
    if (BlockCache::gone || !cache.keep(base, header(base))) {
        std::free(base);
    }
}

const bool allocator_installed = [] {
    halide_set_custom_malloc(&cached_malloc);
    halide_set_custom_free(&cached_free);
    return true;
}();

}  // namespace
}  // namespace gomhc::detail
