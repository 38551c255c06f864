// Shape arithmetic folded at import. Exporters compute a slice's bounds or a reshape's target from
// the tensor itself (ShuffleNetV2's x.chunk(2, 1): Shape -> Gather -> Add -> Div -> Mul -> Slice);
// kiln knows every extent but the batch when it declares the net, so such a computation is a
// constant. Folded here: Shape of a tensor whose extents are all known, and Gather, Unsqueeze,
// Squeeze, Concat, Cast, Add, Sub, Mul, Div and Slice of integer constants.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/onnx/onnx_tensor.hpp"
#include "proto.hpp"

namespace kiln::onnx::detail {

// Node n's output, if n is shape arithmetic whose inputs are all known: constants, or for Shape a
// tensor whose extents `known_dims` holds. Nothing for any other node. A foldable node given
// inputs it cannot take (a float Div, an index out of range) is a kiln::Error naming `where`.
std::optional<OnnxTensor> fold_shape_arithmetic(const ::onnx::NodeProto& n, const std::map<std::string, OnnxTensor>& constants,
                                                const std::map<std::string, std::vector<std::int64_t>>& known_dims, int opset,
                                                const std::string& where);

// ONNX's own shape inference (libonnx) over the model, so that Shape nodes' inputs have known
// extents; only for a graph with Shape nodes, and a model it cannot infer is left as it was.
void infer_shapes_for_folding(::onnx::ModelProto& model);

}  // namespace kiln::onnx::detail
