// Weights from and to safetensors files (https://github.com/huggingface/safetensors: an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the data).
//
// Every file is validated before a value is read: header length within the file and at most
// 100 MiB, valid JSON, known dtypes (F32, F64, F16, BF16; converted to float), shapes whose size
// matches their byte range, byte ranges inside the data, sorted, neither overlapping nor leaving
// holes. Against the net: every declared tensor present with the declared shape, nothing extra.
// Errors name the tensor and its layer.
//
// Layouts (row-major shapes as stored in the file):
//   kiln     conv weights [kh][kw][in][out] (HWIO), dense weights [in][out] with in flattened
//            (y, x, c) as kiln's NHWC activations are; biases, scales, shifts [C].
//   pytorch  conv weights [out][in][kh][kw] (OIHW), Linear weights [out][in] with in flattened
//            (c, y, x) as torch.flatten of an NCHW tensor is; converted to kiln's layout on load.
#pragma once

#include <map>
#include <string>

#include "kiln/runtime/weights.hpp"

namespace kiln {

enum class WeightLayout { kiln, pytorch };

struct SafetensorsOptions {
    WeightLayout layout = WeightLayout::kiln;
    // kiln name ("l1_conv.weights") -> name in the file ("features.0.weight"); unlisted names are
    // looked up as they are.
    std::map<std::string, std::string> names;
};

Weights load_safetensors(const NetSpec& net, const std::string& path, const SafetensorsOptions& options = {});

// Writes kiln's layout (F32), with the net's parameter names.
void save_safetensors(const Weights& weights, const std::string& path);

}  // namespace kiln
