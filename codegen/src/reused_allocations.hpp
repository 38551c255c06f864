// Halide JIT malloc/free that keep freed blocks for the next call of the same size. A training
// step realizes the same large intermediate buffers every step (tens of MiB); from the system
// allocator each is a fresh mmap whose pages fault in zeroed, then munmap: a third of a small
// net's step. Process-wide and thread-safe; at most `cached_bytes_limit` are kept idle.
#pragma once

#include <Halide.h>

namespace kiln::codegen::detail {

void use_reused_allocations(Halide::JITHandlers& handlers);

}  // namespace kiln::codegen::detail
