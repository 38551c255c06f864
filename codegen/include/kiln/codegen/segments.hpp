// Segments: the runs of top-level layers that JitNet compiles as separate Halide pipelines. Halide
// 14's lowering time grows faster than the pipeline (GoogLeNet as one pipeline: 80-320 s), so a
// long net compiles as many small pipelines, in parallel, with the tensors between them allocated
// once per net. A segment starts at each top-level conv and at each Concat or Residual and takes
// the layers after it up to the next such layer, so a `fused` conv -> activation -> pool group is
// never cut (fusion groups never cross a Concat or Residual, fusion.hpp).
//
// A segment's layers are renamed as if it were a net of its own ("l9_b2_1_conv" at top-level layer
// 9 of the net becomes "l1_b2_1_conv" in a segment that starts there), so repeated blocks have
// equal specs and share one compiled pipeline (jit.hpp's cache).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln::codegen {

struct Segment {
    std::size_t first = 0, end = 0;  // top-level layers [first, end) of the net
    NetSpec spec;                    // those layers as a net of their own, renamed from l1
    // The net's names of the segment's learned tensors, in all_params(spec) order: where each of
    // the segment's tensors comes from in the net's weights.
    std::vector<std::string> net_param_names;
};

std::vector<Segment> split_into_segments(const NetSpec& net);

}  // namespace kiln::codegen
