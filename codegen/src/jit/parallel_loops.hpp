// JIT pipelines run their parallel loops on kiln's spinning pool (kiln/runtime/thread_pool.hpp),
// as generated kernels do, unless KILN_HALIDE_THREAD_POOL asks for Halide's own.
#pragma once

#include <Halide.h>

#include "kiln/runtime/thread_pool.hpp"

namespace kiln::codegen::detail {

// Halide passes its JIT user context where the pool passes a void*: the same pointer either way.
inline int parallel_loop_on_kiln_pool(Halide::JITUserContext* context, int (*task)(Halide::JITUserContext*, int, uint8_t*), int min,
                                      int size, uint8_t* closure) {
    return parallel_for(context, reinterpret_cast<ParallelTask>(task), min, size, closure);
}

inline void run_parallel_loops_on_kiln_pool(Halide::Pipeline& pipeline) {
    if (!use_halide_thread_pool()) pipeline.jit_handlers().custom_do_par_for = parallel_loop_on_kiln_pool;
}

}  // namespace kiln::codegen::detail
