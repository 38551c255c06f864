// Weights from and to safetensors files (https://github.com/huggingface/safetensors: an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the data).
//
// Every file is validated before a value is read: a regular file; header length within the file
// and at most 100 MiB; valid JSON whose top level is an object of tensors {dtype, shape (at most 64
// dims), data_offsets} and at most one "__metadata__" object mapping strings to strings; no key
// twice anywhere, no other field; known dtypes (F32, F64, F16, BF16; converted to float), shapes
// whose size matches their byte range, byte ranges inside the data, neither overlapping nor leaving
// holes. The header is read as a stream of JSON events and refused at the first one that cannot
// belong to such a header, so a hostile header costs memory in proportion to the tensors it
// declares, never to the JSON tree it would build. Against the net: every declared tensor present
// with the declared shape, nothing extra. Errors name the file (or the name given for bytes in
// memory), the tensor and its layer; every failure, I/O and memory included, is a kiln::Error.
//
// Layouts (row-major shapes as stored in the file):
//   kiln     conv weights [kh][kw][in][out] (HWIO), dense weights [in][out] with in flattened
//            (y, x, c) as kiln's NHWC activations are; biases, scales, shifts [C].
//   pytorch  conv weights [out][in][kh][kw] (OIHW), Linear weights [out][in] with in flattened
//            (c, y, x) as torch.flatten of an NCHW tensor is; converted to kiln's layout on load.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "kiln/runtime/error.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln {

enum class WeightLayout { kiln, pytorch };

struct SafetensorsOptions {
    WeightLayout layout = WeightLayout::kiln;
    // kiln name ("l1_conv.weights") -> name in the file ("features.0.weight"); unlisted names are
    // looked up as they are.
    std::map<std::string, std::string> names;
};

// Reads the file at `path` (refusing anything but a regular file, and checking the header length
// before reading the rest), then parses it as load_safetensors_from_memory does.
Weights load_safetensors(const NetSpec& net, const std::string& path, const SafetensorsOptions& options = {});

// The same from `size` bytes at `data` (a whole safetensors file: length, header, data), e.g. a
// file mapped or received by the caller. `name` stands for the bytes in error messages
// ("kiln: safetensors <name>: ..."); load_safetensors passes "file <path>". Nothing is kept from
// `data` after the call.
Weights load_safetensors_from_memory(const NetSpec& net, const unsigned char* data, std::size_t size,
                                     const SafetensorsOptions& options = {}, const std::string& name = "<memory>");

// Writes kiln's layout (F32), with the net's parameter names; `metadata` joins the header's
// __metadata__ (kiln-import records there the ONNX initializer each tensor came from).
void save_safetensors(const Weights& weights, const std::string& path, const std::map<std::string, std::string>& metadata = {});

}  // namespace kiln
