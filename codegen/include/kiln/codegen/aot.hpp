// Ahead-of-time generation: a declared net compiled to a standalone kernel (an object file, its C
// header, and a typed C++ header) that needs neither libHalide nor kiln's code generator at run
// time; and the one Halide runtime all such kernels in a program share. The CMake function
// kiln_add_net (cmake/KilnAot.cmake) drives both at build time.
#pragma once

#include <functional>
#include <string>

#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/tuning.hpp"
#include "kiln/dsl/layer_spec.hpp"

namespace kiln::codegen {

struct AotOptions {
    std::string name;                  // C function and file stem; a C identifier
    std::string output_dir = ".";
    std::string schedule = "default";  // see schedule.hpp
    // A Halide target string, or several separated by commas, most specialized first: one kernel
    // each and a dispatcher that runs the first the CPU supports, the last (the baseline) when it
    // supports none of the others. kiln adds no_runtime.
    std::string target = "host";
    int batch_estimate = 1;
    // The CPU the kernel is scheduled for (machine_model.hpp); a kernel for another machine names
    // it ("xeon-spr,cores=8") rather than being planned for the build host.
    std::string machine = "host";
    Tuning tuning;  // measured plans, as JitOptions::tuning (kiln_add_net's TUNING file)
    // One Halide pipeline per segment (segments.hpp), compiled in parallel and once for repeated
    // blocks, or the whole net as one; `automatic` as JitOptions::pipelines: per segment for kiln's
    // CPU schedules. A GPU kernel is always one pipeline.
    JitOptions::Pipelines pipelines = JitOptions::Pipelines::automatic;
    // With a linker (`ld`; kiln_add_net passes CMake's), every pipeline is compiled to an object of
    // its own, all at once on every core, and `linker -r` joins each target's into one. With a
    // cache directory too, those objects are kept there, named by everything that decides their
    // code and by `cache_identity` (a file whose bytes identify kiln's code generator, e.g.
    // libkiln_codegen.a), so a regenerated kernel compiles only the segments that changed.
    // Without a linker, each target's pipelines are joined in memory and compiled as one module.
    std::string linker;
    std::string cache_dir;
    std::string cache_identity;
    // Where a generation still running after 2 s says how far it is, every 2 s and once when done
    // (as JitOptions::progress; empty or KILN_QUIET=1: silent).
    std::function<void(const std::string&)> progress = JitOptions::progress_to_stderr;
};

// Writes <name>.o (every compiled pipeline for the target), <name>.cpp (the driver: the C entry
// point <name>(), which runs the pipelines in order, kiln/runtime/aot_segments.hpp), <name>.h (its
// C header) and <name>.hpp (kiln's typed header); for several targets, <name>-<target as a C
// identifier>.o per target instead of <name>.o, and the driver picks the first target the CPU
// runs. Returns the plan per conv group and where each came from (the cost model or the tuning),
// one line each, under a line naming the target when there are several.
std::string generate_kernel(const NetSpec& spec, const AotOptions& options);

// Writes the Halide runtime for `target` (e.g. "host-cuda": the union of the kernels' targets)
// as one object file.
void generate_runtime(const std::string& object_path, const std::string& target);

}  // namespace kiln::codegen
