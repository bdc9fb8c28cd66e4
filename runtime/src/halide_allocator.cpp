// The allocator behind every Halide kernel's heap buffers: a cache of freed
// blocks shared by all threads, so a trainer's steady state (the same shapes
// every step, or two sizes alternating) allocates nothing.
//
// Halide's pool hands a kernel's tasks to whichever thread is free, so how
// many blocks of one size are in use at once varies from call to call: a
// first call whose tasks happened to run one after another needs fewer than
// a later one whose tasks run side by side, and a cache that only keeps what
// was freed would allocate again at that later call. So for the small blocks
// of per-task scratch the cache provisions ahead: each thread counts the
// blocks of a size it holds at once, and the cache keeps as many blocks of
// that size as the largest such count times the pool's threads, the most
// the tasks can hold together. Larger blocks (whole intermediates, allocated
// once per call on the calling thread) are cached as they come.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>

#include "HalideRuntime.h"
#include "op_support.h"

namespace gomhc::detail {
namespace {

// Halide's largest vector alignment (AVX-512 and HVX: 128 bytes); the header
// that records a block's size takes one alignment unit before the data.
constexpr size_t kAlignment = 128;
// Blocks up to this size are provisioned for every thread of the pool.
constexpr size_t kProvisionedBytes = size_t(1) << 20;
// The cache keeps at most this many free blocks and bytes, and tracks this
// many distinct sizes; beyond that a freed block goes back to the system.
constexpr size_t kMaxCachedBlocks = 1024;
constexpr size_t kMaxCachedBytes = size_t(1) << 30;
constexpr size_t kMaxSizes = 128;

struct Block {
    size_t size;  // bytes from the header to the end
    void *base;   // what aligned_alloc returned
};

// Per size: the blocks that exist (in use or cached) and the most one
// thread held at once.
struct SizeRecord {
    size_t size = 0;
    size_t blocks = 0;
    size_t held_by_one_thread = 0;
};

// The blocks of each size this thread holds now.
struct ThreadHeld {
    size_t size[kMaxSizes] = {};
    size_t held[kMaxSizes] = {};
    size_t count = 0;

    size_t *slot(size_t bytes) {
        for (size_t i = 0; i < count; i++) {
            if (size[i] == bytes) {
                return &held[i];
            }
        }
        if (count == kMaxSizes) {
            return nullptr;
        }
        size[count] = bytes;
        held[count] = 0;
        return &held[count++];
    }
};
thread_local ThreadHeld thread_held;

void *system_block(size_t size) {
    void *base = std::aligned_alloc(kAlignment, size);
    if (base != nullptr) {
        *static_cast<size_t *>(base) = size;
    }
    return base;
}

class BlockCache {
public:
    // A block of `size` bytes: cached, else new. `held` is how many of this
    // size the calling thread holds with this one (0 when not tracked).
    void *take(size_t size, size_t held) {
        size_t missing = 0;
        void *base = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            SizeRecord *rec = record(size);
            base = pop(size);
            if (rec != nullptr) {
                if (base == nullptr) {
                    rec->blocks++;  // allocated below
                }
                rec->held_by_one_thread = std::max(rec->held_by_one_thread, held);
                if (size <= kProvisionedBytes) {
                    const size_t wanted = rec->held_by_one_thread * size_t(pool_threads());
                    missing = wanted > rec->blocks ? wanted - rec->blocks : 0;
                    rec->blocks += missing;
                }
            }
        }
        if (base == nullptr) {
            base = system_block(size);
            if (base == nullptr) {
                forget(size, 1 + missing);
                return nullptr;
            }
        }
        for (size_t i = 0; i < missing; i++) {
            void *spare = system_block(size);
            if (spare == nullptr || !keep(spare, size)) {
                std::free(spare);
                forget(size, 1);
            }
        }
        return base;
    }

    // Keeps the block if there is room; returns whether it did.
    bool keep(void *base, size_t size) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (count_ == kMaxCachedBlocks || bytes_ + size > kMaxCachedBytes) {
            return false;
        }
        blocks_[count_++] = {size, base};
        bytes_ += size;
        return true;
    }

    // `n` blocks of `size` went back to the system (or never came).
    void forget(size_t size, size_t n) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (SizeRecord *rec = record(size)) {
            rec->blocks -= std::min(rec->blocks, n);
        }
    }

private:
    void *pop(size_t size) {
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

    SizeRecord *record(size_t size) {
        for (size_t i = 0; i < record_count_; i++) {
            if (records_[i].size == size) {
                return &records_[i];
            }
        }
        if (record_count_ == kMaxSizes) {
            return nullptr;
        }
        records_[record_count_] = SizeRecord{size, 0, 0};
        return &records_[record_count_++];
    }

    std::mutex mutex_;
    Block blocks_[kMaxCachedBlocks];
    size_t count_ = 0, bytes_ = 0;
    SizeRecord records_[kMaxSizes];
    size_t record_count_ = 0;
};

// Never destroyed: Halide's workers may still free blocks while the process
// exits, and the system reclaims the cached ones then.
BlockCache &cache() {
    static BlockCache *shared = new BlockCache;
    return *shared;
}

void *cached_malloc(void *, size_t bytes) {
    const size_t size = (bytes + 2 * kAlignment - 1) / kAlignment * kAlignment;
    size_t *held = thread_held.slot(size);
    if (held != nullptr) {
        ++*held;
    }
    void *base = cache().take(size, held != nullptr ? *held : 0);
    if (base == nullptr) {
        if (held != nullptr) {
            --*held;
        }
        return nullptr;
    }
    return static_cast<uint8_t *>(base) + kAlignment;
}

void cached_free(void *, void *ptr) {
    if (ptr == nullptr) {
        return;
    }
    void *base = static_cast<uint8_t *>(ptr) - kAlignment;
    const size_t size = *static_cast<size_t *>(base);
    // Halide frees a buffer on the thread that allocated it.
    if (size_t *held = thread_held.slot(size); held != nullptr && *held > 0) {
        --*held;
    }
    if (!cache().keep(base, size)) {
        std::free(base);
        cache().forget(size, 1);
    }
}

const bool allocator_installed = [] {
    halide_set_custom_malloc(&cached_malloc);
    halide_set_custom_free(&cached_free);
    return true;
}();

}  // namespace
}  // namespace gomhc::detail
