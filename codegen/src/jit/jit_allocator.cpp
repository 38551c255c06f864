// See jit_allocator.hpp.
#include "jit/jit_allocator.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace kiln::codegen::detail {

namespace {

constexpr size_t header = 64;  // holds the block's size; keeps the result 64-byte aligned
constexpr size_t large = size_t(1) << 20;
constexpr size_t cache_limit = size_t(1) << 30;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

struct BlockCache {
    std::mutex mutex;
    std::multimap<size_t, void*> free_blocks;  // by total size
    size_t cached = 0;
    ~BlockCache() {
        for (auto& [size, block] : free_blocks) std::free(block);
    }
};

BlockCache& cache() {
    static BlockCache c;
    return c;
}

}  // namespace

void* cached_malloc(Halide::JITUserContext*, size_t bytes) {
    const size_t total = round_up(bytes + header, bytes >= large ? 4096 : header);
    void* block = nullptr;
    if (bytes >= large) {
        BlockCache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (auto it = c.free_blocks.find(total); it != c.free_blocks.end()) {
            block = it->second;
            c.free_blocks.erase(it);
            c.cached -= total;
        }
    }
    if (!block) block = std::aligned_alloc(header, total);
    if (!block) return nullptr;  // Halide reports the failed allocation
    *static_cast<size_t*>(block) = total;
    return static_cast<char*>(block) + header;
}

void cached_free(Halide::JITUserContext*, void* p) {
    if (!p) return;
    void* block = static_cast<char*>(p) - header;
    const size_t total = *static_cast<size_t*>(block);
    if (total >= large + header) {
        BlockCache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (c.cached + total <= cache_limit) {
            c.free_blocks.emplace(total, block);
            c.cached += total;
            return;
        }
    }
    std::free(block);
}

}  // namespace kiln::codegen::detail
