// The pieces of AOT generation (aot.hpp) shared by its steps: the checked target list, the names
// derived from it, and the files every kernel has (its C and typed headers, the driver source).
#pragma once

#include <Halide.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/codegen/aot.hpp"
#include "kiln/codegen/segments.hpp"

namespace kiln::codegen::detail {

struct KernelTarget {
    std::string text;  // as the user wrote it: names the per-target object
    Halide::Target target;
};

// The comma-separated target list, checked: one arch-bits-os, no GPU when there are several.
std::vector<KernelTarget> kernel_targets(const std::string& list);

// The text as a C identifier, as CMake's string(MAKE_C_IDENTIFIER) writes it (kiln_add_net names
// the per-target objects the same way).
std::string c_identifier(const std::string& s);

// Whether this CPU can run code for `target` (its instruction-set features are all the host's).
bool host_can_run(const Halide::Target& target);

// The segments' compiled functions: function_of[s] is the one segment s calls (repeated segments
// share one), `functions` their count.
struct CompiledSegments {
    SegmentGraph graph;
    std::vector<std::size_t> function_of;
    std::size_t functions = 0;
    // [variant * functions + f]: what decides function f's code for target v (its segment, output
    // stride, schedule, batch, machine model, tuning, target, the kernel's name), and its C symbol,
    // named by that key's hash so that a segment keeps its name when layers around it change.
    std::vector<std::string> keys;
    std::vector<std::string> symbols;  // Halide's argv entry points
};

// FNV-1a, 64 bits: names a compiled pipeline by what decides its code.
std::uint64_t fnv1a(const std::string& text, std::uint64_t hash = 0xcbf29ce484222325ull);
std::string hex(std::uint64_t v);  // 16 hex digits

// A hash of the file's bytes, as hex: the code generator's identity in the AOT cache's keys.
std::string file_fingerprint(const std::string& path);

// The Halide library this process runs: its file's path, size and modification time.
std::string halide_identity();

// Runs `linker -r -o output inputs...`: one relocatable object holding every input's functions.
void link_relocatable(const std::string& linker, const std::vector<std::string>& inputs, const std::string& output);

// <name>.h: the C entry point, as Halide would declare it.
std::string c_header(const NetSpec& spec, const AotOptions& options);

// <name>.cpp: the tables kiln/runtime/aot_segments.hpp runs and the C entry point, which picks the
// target variant the CPU runs once and calls the segments in order.
std::string driver_source(const NetSpec& spec, const AotOptions& options, const std::vector<KernelTarget>& targets,
                          const CompiledSegments& compiled);

// <name>.hpp: shapes as constants, and a run() that checks tensors and weights against them before
// calling the kernel (kiln/runtime/aot_call.hpp).
std::string typed_header(const NetSpec& spec, const AotOptions& options, const std::string& targets, bool uses_cuda,
                         const std::string& machines, const std::string& plans, const std::string& pipelines);

}  // namespace kiln::codegen::detail
