// Halide targets as kiln resolves them. Halide 14 detects AMD Zen 4 and Zen 5 as Intel Sapphire
// Rapids (halide/Halide#7834, #8592) and then emits AVX-VNNI and AVX512-FP16 instructions those
// CPUs lack: a SIGILL inside a kernel. Code that will run on this CPU (the JIT, and AOT kernels for
// "host") is therefore compiled without the Sapphire Rapids feature unless the CPU has what it
// implies.
#pragma once

#include <Halide.h>

#include <string>

namespace kiln::codegen {

// `target` without the features this CPU cannot run (today: avx512_sapphirerapids on a CPU
// without AVX-VNNI, AVX512-FP16 and AMX-BF16). Targets for another architecture or OS are returned
// as they are.
Halide::Target runnable_here(Halide::Target target);

// A Halide target string ("host", "host-cuda", "x86-64-linux-avx2-fma"), checked; one naming the
// host is made runnable_here. Throws kiln::Error for a string Halide does not accept.
Halide::Target resolve_target(const std::string& target_string);

}  // namespace kiln::codegen
