// See reused_allocations.hpp.
#include "reused_allocations.hpp"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace kiln::codegen::detail {

namespace {

// Each block starts with a header holding its size; Halide gets the memory after it, 64-byte
// aligned, with room past both ends (Halide may read a few bytes out of bounds).
constexpr std::size_t header = 64, tail = 64;
constexpr std::size_t cached_bytes_limit = std::size_t(1) << 30;

struct Cache {
    std::mutex mutex;
    std::unordered_map<std::size_t, std::vector<void*>> idle;  // by payload size
    std::size_t idle_bytes = 0;
};
Cache& cache() {
    static Cache* c = new Cache;  // never destroyed: Halide may free during static destruction
    return *c;
}

void* allocate(Halide::JITUserContext*, std::size_t size) {
    size = (size + 63) / 64 * 64;
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        auto it = c.idle.find(size);
        if (it != c.idle.end() && !it->second.empty()) {
            void* block = it->second.back();
            it->second.pop_back();
            c.idle_bytes -= size;
            return static_cast<char*>(block) + header;
        }
    }
    void* block = std::aligned_alloc(64, header + size + tail);
    if (!block) return nullptr;
    *static_cast<std::size_t*>(block) = size;
    return static_cast<char*>(block) + header;
}

void release(Halide::JITUserContext*, void* memory) {
    if (!memory) return;
    void* block = static_cast<char*>(memory) - header;
    const std::size_t size = *static_cast<std::size_t*>(block);
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (c.idle_bytes + size <= cached_bytes_limit) {
            c.idle[size].push_back(block);
            c.idle_bytes += size;
            return;
        }
    }
    std::free(block);
}

}  // namespace

void use_reused_allocations(Halide::JITHandlers& handlers) {
    handlers.custom_malloc = allocate;
    handlers.custom_free = release;
}

}  // namespace kiln::codegen::detail
