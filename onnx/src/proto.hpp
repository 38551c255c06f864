// What the importer's sources share about ONNX's protobuf messages (private to kiln::onnx).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/onnx/onnx_tensor.hpp"

namespace kiln::onnx::detail {

// The values of a TensorProto; `where` begins error messages ("initializer 'w'"). Refuses data
// stored outside the model, element counts that disagree with the dims, and tensors over 2^31 values.
OnnxTensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where);

// A Constant node's value (its one attribute, whichever form); `where` begins error messages.
OnnxTensor constant_value(const ::onnx::NodeProto& n, const std::string& where);

// Dims as messages show them: "[4, 1, 3, 3]".
std::string dims_text(const std::vector<std::int64_t>& dims);

}  // namespace kiln::onnx::detail
