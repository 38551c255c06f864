// Host memory for JIT pipelines. Halide allocates the stages a schedule stores at root on every call
// and frees them at the end; glibc hands blocks above 32 MiB straight back to the OS, so the next
// call faults every page in again (about 11 us per 4 KiB page on these VMs: W5 at batch 128 spent
// ~10 of its 140 ms there). Blocks of 1 MiB and more are therefore kept after a call, up to
// 1 GiB in all, and reused for a request of the same size; smaller ones go to malloc.
#pragma once

#include <Halide.h>

namespace kiln::codegen::detail {

void* cached_malloc(Halide::JITUserContext* context, size_t bytes);
void cached_free(Halide::JITUserContext* context, void* block);

}  // namespace kiln::codegen::detail
