// A tensor as ONNX holds it (row-major, NCHW for images): what an initializer, a Constant node or a
// TensorProto file (.pb, as ONNX's test data sets store inputs and expected outputs) contains, and
// the conversion between it and a kiln Tensor (NHWC) for a net imported by kiln::onnx.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/runtime/tensor.hpp"

namespace kiln::onnx {

struct OnnxTensor {
    std::string name;
    std::vector<std::int64_t> dims;
    // Float, double and float16 tensors as float; integer and bool tensors as int64.
    bool integral = false;
    std::vector<float> floats;
    std::vector<std::int64_t> ints;

    std::int64_t elements() const;
};

// A TensorProto file. Errors (unreadable, not a TensorProto, data that disagrees with its dims, an
// unsupported element type) are kiln::Error naming the file.
OnnxTensor read_tensor_file(const std::string& path);
void write_tensor_file(const OnnxTensor& t, const std::string& path);

// How an imported net's input or output looks to ONNX: rank 4 is [N, C, H, W], rank 3 [N, C, W]
// (a one-row kiln tensor), rank 2 [N, features]. `flattened`: a rank-2 tensor that holds a
// flattened [C, H, W] (ONNX's Flatten order, c slowest) of kiln's H x W x C tensor.
struct OnnxLayout {
    Shape shape;
    int rank = 4;
    bool flattened = false;
    // A rank-4 tensor Transposed to [N, H, W, C] (ConvNeXt's blocks work channels-last): kiln's own
    // NHWC order, so no layer moves a value; only the ONNX view changes.
    bool channels_last = false;
    std::vector<std::int64_t> dims(std::int64_t batch) const;
    int channel_axis() const { return channels_last ? 3 : 1; }
};

// ONNX layout <-> kiln NHWC, checking the dims against the layout (a kiln::Error says which differ).
Tensor to_kiln(const OnnxTensor& t, const OnnxLayout& layout);
OnnxTensor from_kiln(const Tensor& t, const OnnxLayout& layout);

}  // namespace kiln::onnx
