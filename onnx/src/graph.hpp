// An ONNX graph indexed for the importer: its constants (initializers, Constant nodes and the values
// ImportOptions gives for inputs), its one data input and output, and which nodes read each data
// tensor. Built and checked by load_graph: nodes in topological order, each tensor written once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/onnx/import.hpp"
#include "proto.hpp"
#include "shape_arithmetic.hpp"

namespace kiln::onnx::detail {

struct Graph {
    const ::onnx::GraphProto* proto = nullptr;
    int opset = 0;
    std::map<std::string, OnnxTensor> constants;
    // Folded shape arithmetic whose entries are the batch extent, marked per entry
    // (shape_arithmetic.hpp): a Reshape's target may take one as its first extent, nothing else may.
    std::map<std::string, std::vector<char>> batch_entries;
    // Shape arithmetic that waits for the extents of a tensor the walk has not reached (a Shape of
    // it, and what computes with that), in graph order; none is a data node.
    std::vector<const ::onnx::NodeProto*> waiting;
    std::map<std::string, std::vector<std::int64_t>> reached_dims;  // ONNX's dims, the batch as 0
    std::vector<const ::onnx::NodeProto*> nodes;  // Constant nodes excluded
    std::map<std::string, std::vector<int>> consumers;  // data tensor -> reading nodes, once per read
    std::string input, output;
    OnnxLayout input_layout;
    std::int64_t input_batch = -1;  // the data input's batch extent as declared; -1 when free
    std::vector<std::int64_t> output_dims;  // as declared, -1 where unknown; empty when undeclared

    bool is_constant(const std::string& tensor) const { return constants.count(tensor) > 0; }
    // The walk has reached `tensor`, laid out as `view`: folds the shape arithmetic that waited for it.
    void reached(const std::string& tensor, const OnnxLayout& view);
    // Keeps the value of `tensor`, computed by folding shape arithmetic, with its batch marks.
    void store_folded(const std::string& tensor, Folded folded);
    // The node's inputs that are data (not constants, not left out), in order.
    std::vector<std::string> data_inputs(const ::onnx::NodeProto& n) const;
    // 'node "Conv_0" (Conv)', or '#3' in place of an empty name.
    std::string describe(int node) const;
};

Graph load_graph(const ::onnx::ModelProto& model, const ImportOptions& options, const std::string& source);

// DenseNet's Concat(f0, f1, f2) beside an earlier Concat(f0, f1) becomes Concat(that one's output,
// f2): the same channels, and a graph whose branches nest, which kiln can declare.
void reuse_concat_prefixes(::onnx::GraphProto& graph);

}  // namespace kiln::onnx::detail
