// See host_allocator.hpp.
#include "jit/host_allocator.hpp"

#include <cstdlib>
#include <limits>

namespace kiln::codegen::detail {

namespace {
// Each block starts with a header holding its payload size; Halide gets the 64-byte aligned memory
// after it.
constexpr std::size_t header = 64, tail = 64, large = std::size_t(1) << 20;
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

BlockPool& process_pool() {
    static BlockPool pool(large, std::size_t(1) << 30);
    return pool;
}
}  // namespace

BlockPool::~BlockPool() {
    for (auto& [size, block] : idle_) std::free(block);
}

void* BlockPool::allocate(std::size_t bytes) {
    // Large blocks in whole pages (their sizes then repeat call to call), small ones in cache lines.
    const std::size_t size = round_up(bytes, bytes >= large ? 4096 : 64);
    if (size >= smallest_kept_) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto it = idle_.find(size); it != idle_.end()) {
            void* block = it->second;
            idle_.erase(it);
            kept_ -= size;
            return static_cast<char*>(block) + header;
        }
    }
    void* block = std::aligned_alloc(64, header + size + tail);
    if (!block) return nullptr;
    *static_cast<std::size_t*>(block) = size;
    return static_cast<char*>(block) + header;
}

void BlockPool::release(void* memory) {
    if (!memory) return;
    void* block = static_cast<char*>(memory) - header;
    const std::size_t size = *static_cast<std::size_t*>(block);
    if (size >= smallest_kept_) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (kept_ + size <= most_kept_) {
            idle_.emplace(size, block);
            kept_ += size;
            return;
        }
    }
    std::free(block);
}

void* cached_malloc(Halide::JITUserContext*, std::size_t bytes) { return process_pool().allocate(bytes); }
void cached_free(Halide::JITUserContext*, void* memory) { process_pool().release(memory); }

PooledContext::PooledContext() : pool_(0, std::numeric_limits<std::size_t>::max()) {
    handlers.custom_malloc = [](Halide::JITUserContext* c, std::size_t bytes) {
        return static_cast<PooledContext*>(c)->pool_.allocate(bytes);
    };
    handlers.custom_free = [](Halide::JITUserContext* c, void* memory) { static_cast<PooledContext*>(c)->pool_.release(memory); };
}

}  // namespace kiln::codegen::detail
