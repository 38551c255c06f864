// Segments: the pieces of a net that JitNet compiles as separate Halide pipelines. Halide 14's
// lowering time grows faster than the pipeline (GoogLeNet as one pipeline: 80-320 s), so a long net
// compiles as many small pipelines, in parallel, with the tensors between them allocated once per
// net. A segment starts at each conv and at each Residual and takes the layers after it up to the
// next such layer, so a `fused` conv -> activation -> pool group is never cut (fusion groups never
// cross a Concat or Residual, fusion.hpp), and a pointwise conv after a depthwise group stays in
// its segment, since a schedule may compute the depthwise group inside its tiles. A Concat is no segment of its own: each of its branches
// is split the same way, and a branch's last segment writes its channels straight into its slice
// of the concat's tensor, so nothing is copied to concatenate. (A Concat with an empty branch,
// which passes its input through, stays one segment.)
//
// A segment's layers are renamed as if it were a net of its own ("l9_b2_1_conv" becomes
// "l1_conv" in a segment that starts there), so repeated blocks have equal specs and share one
// compiled pipeline (jit.hpp's cache).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln::codegen {

struct Segment {
    NetSpec spec;  // its layers as a net of their own, renamed from l1
    // The net's names of the segment's learned tensors, in all_params(spec) order: where each of
    // the segment's tensors comes from in the net's weights.
    std::vector<std::string> net_param_names;
    std::size_t input = 0, output = 0;  // tensors it reads and writes (SegmentGraph::tensors)
    // It writes channels [channel_offset, channel_offset + spec.output.c) of its output tensor,
    // whose pixels are SegmentGraph::tensors[output].c channels apart: a slice of a Concat's.
    std::size_t channel_offset = 0;
    std::string first_layer, last_layer;  // the net's names of its first and last layers
};

struct SegmentGraph {
    // Tensor 0 is the net's input, the last the net's output; the rest are allocated by the net.
    std::vector<Shape> tensors;
    std::vector<Segment> segments;  // in an order that runs each after the ones it reads
};

SegmentGraph split_into_segments(const NetSpec& net);

// The whole net as one segment: what a net compiled as one pipeline runs.
SegmentGraph as_one_segment(const NetSpec& net);

// Whether nets under `schedule` are split by default: kiln's own CPU schedules store every group's
// output, so cutting between groups costs nothing; an autoscheduler may fuse across them, and a
// GPU net would copy between segments.
bool splits_by_default(const std::string& schedule, bool gpu_target);

}  // namespace kiln::codegen
