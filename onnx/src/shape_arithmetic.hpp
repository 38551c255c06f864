// Shape arithmetic folded at import. Exporters compute a slice's bounds or a reshape's target from
// the tensor itself (ShuffleNetV2's x.chunk(2, 1): Shape -> Gather -> Add -> Div -> Mul -> Slice);
// kiln knows every extent but the batch when it declares the net, so such a computation is a
// constant. Folded here: Shape of a tensor (its extents given by the importer's walk, which knows
// them), and Gather, Unsqueeze, Squeeze, Concat, Cast, Add, Sub, Mul, Div and Slice of integer
// constants.
//
// The batch is the one extent kiln leaves free: a folded value that is Shape's dimension 0 (as
// `x.view(x.size(0), -1)` exports it) is marked as the batch, whatever the model was exported
// with. Marked values travel through Gather, Unsqueeze, Squeeze, Concat, Cast and Slice; a Reshape
// takes one as its first extent (the batch kept); arithmetic on one, or any other use, is refused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/onnx/onnx_tensor.hpp"
#include "proto.hpp"

namespace kiln::onnx::detail {

// A folded value and which of its entries are the batch extent (empty: none is).
struct Folded {
    OnnxTensor value;
    std::vector<char> batch;
};

// Node n's output, if n is shape arithmetic whose inputs are all known: constants (`batch` marks
// their batch entries), or for Shape a tensor whose dims (ONNX's order, the batch first) `dims_of`
// gives. Nothing for any other node. A foldable node given inputs it cannot take (an index out of
// range, a division by zero, arithmetic on the batch) is a kiln::Error naming `where`.
std::optional<Folded> fold_shape_arithmetic(const ::onnx::NodeProto& n, const std::map<std::string, OnnxTensor>& constants,
                                           const std::map<std::string, std::vector<char>>& batch,
                                           const std::map<std::string, std::vector<std::int64_t>>& dims_of, int opset,
                                           const std::string& where);

// Whether node n is shape arithmetic this file folds (given known inputs).
bool is_shape_arithmetic(const ::onnx::NodeProto& n);

}  // namespace kiln::onnx::detail
