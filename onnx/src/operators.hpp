// One ONNX operator as a kiln layer: its attributes checked against the operator's definition
// (opsets 7 to 17, and the older forms PyTorch still exports) and its weights in kiln's layout.
// Operators that only relabel a tensor (Identity, Flatten, a flattening Reshape) give no layer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph.hpp"

namespace kiln::onnx::detail {

struct Mapped {
    std::optional<LayerAttrs> attrs;                        // none: the tensor passes through
    std::map<std::string, std::vector<float>> params;       // by role ("weights", "bias"), kiln's layout
    std::map<std::string, std::string> sources;             // by role: the initializers it came from
    OnnxLayout out;                                          // the output's ONNX view (shape set by the walker for layers)
    // A Pad of zeros around H and W: no layer of its own; the walker folds it into the Conv (or
    // counting AveragePool) that reads its output.
    std::optional<std::pair<Pads, Pads>> zero_pad;           // rows, columns
};

// `where` is the node as messages name it; `in` the view of its data input. Throws kiln::Error
// naming the node, the operator and the attribute or input that kiln cannot map, and why.
Mapped map_operator(const Graph& g, const ::onnx::NodeProto& node, const std::string& where, const OnnxLayout& in);

// Split of the channel axis: [begin, end) of each output, in order. Other axes are refused.
std::vector<std::pair<extent_t, extent_t>> split_channels(const Graph& g, const ::onnx::NodeProto& node, const std::string& where,
                                                          const OnnxLayout& in);

// A constant added to a layer's output, as a bias over the channel axis, or nothing when the
// constant does not broadcast that way (Add of [C, 1, 1] to [N, C, H, W], of [U] to [N, U]).
std::optional<std::vector<float>> channel_bias(const Graph& g, const ::onnx::NodeProto& node, const std::string& constant,
                                               const OnnxLayout& in);

// BatchNormalization's inference form as kiln's per-channel scale and shift.
struct ScaleShift {
    std::vector<float> scale, shift;
    std::string sources;
};
ScaleShift batch_norm_scale_shift(const Graph& g, const ::onnx::NodeProto& node, const std::string& where, const OnnxLayout& in);

}  // namespace kiln::onnx::detail
