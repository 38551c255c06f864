// Host memory for JIT pipelines, one allocator with two policies. Halide allocates the stages a
// schedule stores at root on every call and frees them at the end; from the system allocator a
// large block is a fresh mmap whose pages fault in again on every call (about 11 us per 4 KiB page
// on 2-vCPU VMs: W5 at batch 128 spent ~10 of its 140 ms there; a third of a small net's training
// step). Freed blocks are therefore kept and handed to the next request of the same size.
//   inference (every JIT pipeline): one pool for the process, blocks of 1 MiB and more, up to
//     1 GiB in all; smaller ones go back to malloc.
//   training: a pool per pipeline, every size, no limit, so one pipeline's sizes never crowd out
//     another's; its blocks are freed with it.
#pragma once

#include <Halide.h>

#include <cstddef>
#include <map>
#include <mutex>

namespace kiln::codegen::detail {

// Freed blocks by size. Thread-safe (Halide allocates from its worker threads). Each block is
// 64-byte aligned with 64 bytes of room past its end (Halide may read a few bytes out of bounds).
class BlockPool {
  public:
    BlockPool(std::size_t smallest_kept, std::size_t most_kept) : smallest_kept_(smallest_kept), most_kept_(most_kept) {}
    ~BlockPool();
    BlockPool(const BlockPool&) = delete;
    BlockPool& operator=(const BlockPool&) = delete;

    void* allocate(std::size_t bytes);  // null when the system has no memory (Halide reports it)
    void release(void* memory);

  private:
    const std::size_t smallest_kept_, most_kept_;
    std::mutex mutex_;
    std::multimap<std::size_t, void*> idle_;  // by payload size
    std::size_t kept_ = 0;
};

// The inference policy: Halide handlers over the process's pool.
void* cached_malloc(Halide::JITUserContext* context, std::size_t bytes);
void cached_free(Halide::JITUserContext* context, void* memory);

// The training policy: a JIT context whose handlers use a pool of its own.
class PooledContext : public Halide::JITUserContext {
  public:
    PooledContext();
    PooledContext(const PooledContext&) = delete;
    PooledContext& operator=(const PooledContext&) = delete;

  private:
    BlockPool pool_;
};

}  // namespace kiln::codegen::detail
