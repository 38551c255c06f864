// The threads that run a kernel's parallel loops. Halide's own pool puts an idle worker to sleep
// almost at once, so each parallel loop of a call first wakes the workers, which on a virtual
// machine (an inter-processor interrupt, a VM exit) cost 5-20 us a loop: at batch 1 a conv group
// takes 20-80 us, and GoogLeNet runs ~70 pipelines a call. oneDNN's OpenMP threads spin a while
// after each parallel region before they sleep; kiln's pool does the same, so back-to-back loops
// and calls find their workers awake. JIT nets and generated kernels both run on it.
#pragma once

#include <cstdint>

namespace kiln {

// Halide's do_par_for signature (halide_do_par_for_t; JITHandlers::custom_do_par_for): runs
// task(user_context, i, closure) for i in [min, min + size) on the pool's threads and the calling
// one, returning the first non-zero result of a task (0 if none; later tasks then are skipped).
// A loop started inside a task of another (nested parallelism) runs on the calling thread alone.
// Loops started from several threads at once run one after another.
using ParallelTask = int (*)(void* user_context, int index, std::uint8_t* closure);
int parallel_for(void* user_context, ParallelTask task, int min, int size, std::uint8_t* closure);

// How long an idle worker spins before it sleeps: KILN_SPIN_US in the environment (microseconds,
// 0 to sleep at once), 300 us by default, about what GNU OpenMP spins. Threads: HL_NUM_THREADS, as
// Halide reads it, else the hardware threads.
int parallel_for_threads();
int parallel_for_spin_microseconds();
// KILN_HALIDE_THREAD_POOL set (to anything but 0): JIT nets and kernels keep Halide's own pool.
bool use_halide_thread_pool();

}  // namespace kiln
