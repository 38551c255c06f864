// ONNX models in: an ONNX graph mapped onto a kiln net (a NetSpec built with the same rules as a
// declared net's, so every shape is checked the same way), its weights in kiln's layout under
// kiln's names, and what kiln-import needs to write the net as an ordinary C++ declaration
// (declaration.hpp) that describe<Net>() turns back into the same NetSpec.
//
//   kiln::onnx::ImportedNet m = kiln::onnx::import_model("net.onnx");
//   kiln::codegen::JitNet net(m.spec);            // no C++ compiler needed
//   kiln::Tensor out = net.run(kiln::onnx::to_kiln(input, m.input), m.weights);
//
// The graph must be one float input and one output with a chain of supported operators between
// them, where a tensor read by several nodes forks into branches that meet again at an Add
// (kiln's Residual) or a Concat along channels (kiln's Concat). Anything else is refused with a
// kiln::Error naming the node, its operator and the attribute or input at fault, and why.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/dsl/layer_spec.hpp"
#include "kiln/onnx/onnx_tensor.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::onnx {

struct ImportOptions {
    // The net's name (a C++ identifier): empty takes the graph's name, or "Net".
    std::string name;
    // A BatchNormalization right after a Conv is folded into the conv's weights and bias instead
    // of becoming a kiln BatchNorm layer.
    bool fold_batch_norm = false;
    // Values for graph inputs other than the data input, by name: ONNX's node tests pass a conv's
    // weights as inputs. They are treated as initializers.
    std::map<std::string, OnnxTensor> constants;
};

// The ONNX node(s) a kiln layer came from, for the declaration's comments.
struct LayerOrigin {
    std::string nodes;  // 'node "Conv_0" (Conv)', or two for MatMul + Add
    std::vector<std::int64_t> onnx_shape;  // the ONNX output shape, batch as 1
};

struct ImportedNet {
    std::string name;
    NetSpec spec;
    Weights weights;
    // kiln tensor name -> the ONNX initializer(s) it was computed from.
    std::map<std::string, std::string> weight_sources;
    std::map<std::string, LayerOrigin> origins;  // by kiln layer path
    std::string input_name, output_name;        // the ONNX graph's
    OnnxLayout input, output;
    int opset = 0;
    std::string producer;  // "pytorch 1.13", as the model says
};

// Reads and maps the model at `path` (a regular file of at most 2 GiB).
ImportedNet import_model(const std::string& path, const ImportOptions& options = {});
// The same from the bytes of a model; `name` stands for them in error messages.
ImportedNet import_model_from_memory(const void* data, std::size_t size, const ImportOptions& options = {},
                                     const std::string& name = "<memory>");

// The ONNX operators kiln maps, for messages and the conformance report.
const std::vector<std::string>& supported_operators();

}  // namespace kiln::onnx
