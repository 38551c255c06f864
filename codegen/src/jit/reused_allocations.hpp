// A Halide JIT context whose malloc and free keep freed blocks for the next call of the same size.
// A training step realizes the same large intermediate buffers every step (tens of MiB); from the
// system allocator each is a fresh mmap whose pages fault in zeroed, then munmap: a third of a
// small net's step. One per pipeline, so one pipeline's sizes never crowd out another's; the
// blocks are freed with it. Thread-safe (Halide allocates from its worker threads).
#pragma once

#include <Halide.h>

#include <mutex>
#include <unordered_map>
#include <vector>

namespace kiln::codegen::detail {

class ReusedAllocations : public Halide::JITUserContext {
  public:
    ReusedAllocations();
    ~ReusedAllocations();
    ReusedAllocations(const ReusedAllocations&) = delete;
    ReusedAllocations& operator=(const ReusedAllocations&) = delete;

  private:
    static void* allocate(Halide::JITUserContext* context, std::size_t size);
    static void release(Halide::JITUserContext* context, void* memory);

    std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<void*>> idle_;  // blocks by payload size
};

}  // namespace kiln::codegen::detail
