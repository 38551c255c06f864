// What a schedule made of a net, for kiln-inspect (tools/kiln_inspect.cpp) and for users
// who want it in their own tools: per layer, the Halide stages and where they are computed; per
// stored block, FLOPs and the bytes it moves to and from memory; the loop nest; Halide's HTML
// statement view and assembly; and a Graphviz picture with the fusion groups drawn as clusters.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen {

// A run of layers whose intermediate results never reach memory under the applied schedule (one
// fusion group for `fused`/`cuda`, one layer otherwise), and its traffic at the root level: its
// input activations and learned tensors read once, its output written once. Learned tensors and
// activations are fp32. FLOPs count 2 per nominal MAC (conv, dense).
struct StoredBlock {
    std::vector<std::size_t> layers;  // indices into Lowered::layers
    std::string stored_stage;         // the Halide Func written to memory
    double flops = 0, bytes_read = 0, bytes_written = 0;
    double intensity() const { return flops / std::max(1.0, bytes_read + bytes_written); }
};

// The blocks the applied schedule stores. For the autoschedulers kiln does not know the placement
// and reports one block per layer (the loop nest shows what they chose).
std::vector<StoredBlock> stored_blocks(const Lowered& net, int batch);

// The per-layer table and the per-block traffic, as text.
void print_report(std::ostream& out, const Lowered& net, int batch);

// Halide's loop nest for the scheduled pipeline (what is computed where, splits, vector widths,
// parallel and GPU loops).
std::string loop_nest(const Lowered& net);

// One stage's time in Halide's profiler report (a JIT net compiled for a `-profile` target prints
// one report per pipeline per call).
struct StageTime {
    std::string stage;  // Halide's Func name, without Halide's $n suffix
    std::string layer;  // the declared layer it belongs to; empty for Halide's own (halide_malloc)
    double ms = 0;
    double percent = 0;  // of its pipeline's time
};

// What the profiler measured: one call on `batch` images.
struct Profile {
    int batch = 0;
    std::vector<StageTime> stages;
    bool empty() const { return stages.empty(); }
};

// The per-stage lines of every profiler report in `report` (one call on `batch` images), stages
// of the same name summed.
Profile parse_profile(const std::string& report, const Lowered& net, int batch);

// Graphviz source: declared layers as nodes in dataflow order with their output shape and MFLOP
// (and profiled time, when `profile` has any), each stored block a cluster labelled with its
// MFLOP, KiB read and written and FLOP/byte at `batch`.
std::string graphviz(const Lowered& net, int batch = 1, const Profile& profile = {});

// The whole inspection as one JSON document, for programs: schedule, batch, machine, plans, per
// layer (kind, shapes, Halide stages, placement, block), per stored block (layers, FLOPs, bytes,
// intensity), totals, and the profile when given.
std::string inspection_json(const Lowered& net, int batch, const Profile& profile = {});

// Halide's lowered statement as HTML (or text for a .stmt path).
void write_stmt(const Lowered& net, const std::string& path, const Halide::Target& target);

// The machine code Halide generates for the net, as assembly text: where a register tile shows
// whether its accumulators stayed in registers.
void write_assembly(const Lowered& net, const std::string& path, const Halide::Target& target);

}  // namespace kiln::codegen
