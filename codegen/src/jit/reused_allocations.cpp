// See reused_allocations.hpp.
#include "jit/reused_allocations.hpp"

#include <cstdlib>

namespace kiln::codegen::detail {

namespace {
// Each block starts with a header holding its size; Halide gets the memory after it, 64-byte
// aligned, with room past both ends (Halide may read a few bytes out of bounds).
constexpr std::size_t header = 64, tail = 64;
}  // namespace

ReusedAllocations::ReusedAllocations() {
    handlers.custom_malloc = &ReusedAllocations::allocate;
    handlers.custom_free = &ReusedAllocations::release;
}

ReusedAllocations::~ReusedAllocations() {
    for (auto& [size, blocks] : idle_)
        for (void* block : blocks) std::free(block);
}

void* ReusedAllocations::allocate(Halide::JITUserContext* context, std::size_t size) {
    auto* self = static_cast<ReusedAllocations*>(context);
    size = (size + 63) / 64 * 64;
    {
        std::lock_guard<std::mutex> lock(self->mutex_);
        auto it = self->idle_.find(size);
        if (it != self->idle_.end() && !it->second.empty()) {
            void* block = it->second.back();
            it->second.pop_back();
            return static_cast<char*>(block) + header;
        }
    }
    void* block = std::aligned_alloc(64, header + size + tail);
    if (!block) return nullptr;
    *static_cast<std::size_t*>(block) = size;
    return static_cast<char*>(block) + header;
}

void ReusedAllocations::release(Halide::JITUserContext* context, void* memory) {
    if (!memory) return;
    auto* self = static_cast<ReusedAllocations*>(context);
    void* block = static_cast<char*>(memory) - header;
    const std::size_t size = *static_cast<std::size_t*>(block);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->idle_[size].push_back(block);
}

}  // namespace kiln::codegen::detail
