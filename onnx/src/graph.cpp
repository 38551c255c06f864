// load_graph: a ModelProto checked and indexed (constants, the data input and output, readers).
#include "graph.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "kiln/runtime/error.hpp"
#include "shape_arithmetic.hpp"

namespace kiln::onnx::detail {

namespace {

using ::onnx::AttributeProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

constexpr int newest_opset = 17;

// A Transpose of a constant: the permuted copy.
OnnxTensor transposed(const OnnxTensor& t, const NodeProto& n, const std::string& where) {
    std::vector<std::int64_t> perm;
    for (const auto& a : n.attribute()) {
        if (a.name() != "perm") throw Error(where + ": attribute '" + a.name() + "' is not supported");
        perm.assign(a.ints().begin(), a.ints().end());
    }
    const std::size_t rank = t.dims.size();
    if (perm.empty())
        for (std::size_t i = rank; i-- > 0;) perm.push_back(std::int64_t(i));  // the default reverses the axes
    std::vector<char> seen(rank, 0);
    if (perm.size() != rank) throw Error(where + ": perm " + dims_text(perm) + " does not permute the " + std::to_string(rank) + " axes");
    for (std::int64_t p : perm) {
        if (p < 0 || p >= std::int64_t(rank) || seen[std::size_t(p)]) throw Error(where + ": perm " + dims_text(perm) + " is not a permutation");
        seen[std::size_t(p)] = 1;
    }
    OnnxTensor out;
    out.integral = t.integral;
    for (std::int64_t p : perm) out.dims.push_back(t.dims[std::size_t(p)]);
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * t.dims[i];
    const std::int64_t count = t.elements();
    (t.integral ? out.ints.resize(std::size_t(count)) : out.floats.resize(std::size_t(count)));
    std::vector<std::int64_t> index(rank, 0);  // over the output, last axis fastest
    for (std::int64_t k = 0; k < count; ++k) {
        std::int64_t source = 0;
        for (std::size_t i = 0; i < rank; ++i) source += index[i] * in_strides[std::size_t(perm[i])];
        if (t.integral) out.ints[std::size_t(k)] = t.ints[std::size_t(source)];
        else out.floats[std::size_t(k)] = t.floats[std::size_t(source)];
        for (std::size_t i = rank; i-- > 0;)
            if (++index[i] < out.dims[i]) break;
            else index[i] = 0;
    }
    return out;
}

std::vector<std::int64_t> declared_dims(const ::onnx::ValueInfoProto& v) {
    std::vector<std::int64_t> dims;
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return dims;
    for (const auto& d : v.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    return dims;
}

}  // namespace

void reuse_concat_prefixes(::onnx::GraphProto& graph) {
    struct Joined {
        std::vector<std::string> inputs;
        std::string output;
        std::int64_t axis;
    };
    std::vector<Joined> earlier;
    for (NodeProto& n : *graph.mutable_node()) {
        if (n.op_type() != "Concat" || !(n.domain().empty() || n.domain() == "ai.onnx") || n.output_size() != 1) continue;
        std::int64_t axis = 0;
        for (const auto& a : n.attribute())
            if (a.name() == "axis") axis = a.i();
        std::vector<std::string> inputs(n.input().begin(), n.input().end());
        const Joined* best = nullptr;  // the longest earlier Concat whose inputs begin this one's
        for (const Joined& j : earlier)
            if (j.axis == axis && j.inputs.size() >= 2 && j.inputs.size() < inputs.size() &&
                std::equal(j.inputs.begin(), j.inputs.end(), inputs.begin()) && (!best || j.inputs.size() > best->inputs.size()))
                best = &j;
        if (best) {
            std::vector<std::string> rest{best->output};
            rest.insert(rest.end(), inputs.begin() + std::ptrdiff_t(best->inputs.size()), inputs.end());
            n.clear_input();
            for (const std::string& in : rest) n.add_input(in);
        }
        earlier.push_back(Joined{inputs, n.output(0), axis});
    }
}

std::vector<std::string> Graph::data_inputs(const NodeProto& n) const {
    std::vector<std::string> out;
    for (const std::string& in : n.input())
        if (!in.empty() && !is_constant(in)) out.push_back(in);
    return out;
}

std::string Graph::describe(int node) const {
    const NodeProto& n = *nodes[std::size_t(node)];
    return "node \"" + (n.name().empty() ? "#" + std::to_string(node) + " -> " + (n.output_size() ? n.output(0) : "") : n.name()) +
           "\" (" + n.op_type() + ")";
}

void Graph::store_folded(const std::string& tensor, Folded folded) {
    folded.value.name = tensor;
    constants[tensor] = std::move(folded.value);
    if (!folded.batch.empty()) batch_entries[tensor] = std::move(folded.batch);
}

void Graph::reached(const std::string& tensor, const OnnxLayout& view) {
    if (waiting.empty() || reached_dims.count(tensor)) return;
    reached_dims[tensor] = view.dims(0);
    for (bool progress = true; progress;) {
        progress = false;
        for (const NodeProto* n : waiting) {
            if (is_constant(n->output(0))) continue;
            const std::string where = "node \"" + (n->name().empty() ? n->output(0) : n->name()) + "\" (" + n->op_type() + ")";
            std::optional<Folded> f = fold_shape_arithmetic(*n, constants, batch_entries, reached_dims, opset, where);
            if (!f) continue;
            store_folded(n->output(0), std::move(*f));
            progress = true;
        }
    }
}

Graph load_graph(const ::onnx::ModelProto& model, const ImportOptions& options, const std::string& source) {
    if (!model.has_graph()) throw Error(source + " has no graph");
    Graph g;
    g.proto = &model.graph();
    const ::onnx::GraphProto& graph = model.graph();
    for (const auto& o : model.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") g.opset = int(o.version());
    if (g.opset == 0) throw Error(source + " imports no version of ONNX's default operator set");
    if (g.opset > newest_opset)
        throw Error(source + " uses opset " + std::to_string(g.opset) + "; kiln's importer knows opsets up to " + std::to_string(newest_opset));

    for (const TensorProto& t : graph.initializer()) {
        if (t.name().empty()) throw Error(source + ": an initializer has no name");
        if (g.constants.count(t.name())) throw Error(source + ": initializer '" + t.name() + "' is given twice");
        g.constants[t.name()] = tensor_from_proto(t, source + ": initializer '" + t.name() + "'");
        g.constants[t.name()].name = t.name();
    }
    std::set<std::string> inputs;
    for (const auto& v : graph.input()) inputs.insert(v.name());
    for (const auto& [name, t] : options.constants) {
        if (!inputs.count(name)) throw Error(source + ": a value is given for '" + name + "', which is not an input of the graph");
        g.constants[name] = t;
        g.constants[name].name = name;
    }
    std::vector<const ::onnx::ValueInfoProto*> data;
    for (const auto& v : graph.input())
        if (!g.is_constant(v.name())) data.push_back(&v);
    if (data.size() != 1) {
        std::string names;
        for (const auto* v : data) names += (names.empty() ? "" : ", ") + ("'" + v->name() + "'");
        throw Error(source + ": the graph has " + std::to_string(data.size()) + " data inputs" + (names.empty() ? "" : " (" + names + ")") +
                    "; kiln nets take one (give the others' values as constants)");
    }
    g.input = data[0]->name();
    {
        const ::onnx::ValueInfoProto& v = *data[0];
        const std::string where = source + ": input '" + v.name() + "'";
        if (!v.type().has_tensor_type()) throw Error(where + " is not a tensor");
        if (v.type().tensor_type().elem_type() != TensorProto::FLOAT)
            throw Error(where + " has element type " + TensorProto::DataType_Name(TensorProto::DataType(v.type().tensor_type().elem_type())) +
                        "; kiln nets take float");
        const std::vector<std::int64_t> dims = declared_dims(v);
        if (dims.size() < 2 || dims.size() > 4)
            throw Error(where + " has rank " + std::to_string(dims.size()) + "; kiln takes [N, C, H, W], [N, C, W] or [N, features]");
        for (std::size_t i = 1; i < dims.size(); ++i)
            if (dims[i] < 1) throw Error(where + ": dimension " + std::to_string(i) + " is unknown or zero; kiln needs every extent but the batch");
        g.input_batch = dims[0];
        OnnxLayout& l = g.input_layout;
        l.rank = int(dims.size());
        l.shape = dims.size() == 4 ? Shape{dims[2], dims[3], dims[1]} : dims.size() == 3 ? Shape{1, dims[2], dims[1]} : Shape{1, 1, dims[1]};
    }
    if (graph.output_size() != 1)
        throw Error(source + ": the graph has " + std::to_string(graph.output_size()) + " outputs; kiln nets have one");
    g.output = graph.output(0).name();
    g.output_dims = declared_dims(graph.output(0));

    // Every input defined before it is read (ONNX's topological order), every tensor written once.
    std::set<std::string> defined = {g.input}, waiting_outputs;
    for (int i = 0; i < graph.node_size(); ++i) {
        const NodeProto& n = graph.node(i);
        const std::string where = source + ": node \"" + (n.name().empty() ? "#" + std::to_string(i) : n.name()) + "\" (" + n.op_type() + ")";
        for (const std::string& in : n.input())
            if (!in.empty() && !defined.count(in) && !g.is_constant(in))
                throw Error(where + " reads '" + in + "', which no earlier node, input or initializer defines (a cycle, or a missing initializer)");
        if (n.op_type() == "Constant" && (n.domain().empty() || n.domain() == "ai.onnx")) {
            if (n.output_size() != 1) throw Error(where + " must have one output");
            if (defined.count(n.output(0)) || g.is_constant(n.output(0))) throw Error(where + " writes '" + n.output(0) + "', which is already defined");
            g.constants[n.output(0)] = constant_value(n, where);
            g.constants[n.output(0)].name = n.output(0);
            continue;
        }
        // Operators of constants computed here: PyTorch exports a bias-less Linear as
        // MatMul(x, Transpose(W)), and shares equal initializers through Identity nodes.
        const bool folded = n.op_type() == "Transpose" || n.op_type() == "Identity";
        if (folded && (n.domain().empty() || n.domain() == "ai.onnx") && n.input_size() == 1 && g.is_constant(n.input(0)) &&
            n.output_size() == 1) {
            if (defined.count(n.output(0)) || g.is_constant(n.output(0))) throw Error(where + " writes '" + n.output(0) + "', which is already defined");
            const OnnxTensor& in = g.constants.at(n.input(0));
            OnnxTensor t = n.op_type() == "Identity" ? in : transposed(in, n, where);
            if (n.op_type() == "Transpose") t.name = in.name + " (transposed)";
            g.constants[n.output(0)] = std::move(t);
            continue;
        }
        // Shape arithmetic: folded now when its inputs are constants, else when the walk reaches the
        // tensor whose Shape it reads (Graph::reached).
        if (is_shape_arithmetic(n) && !n.output(0).empty()) {
            if (defined.count(n.output(0)) || g.is_constant(n.output(0))) throw Error(where + " writes '" + n.output(0) + "', which is already defined");
            if (std::optional<Folded> f = fold_shape_arithmetic(n, g.constants, g.batch_entries, {}, g.opset, where)) {
                g.store_folded(n.output(0), std::move(*f));
                continue;
            }
            bool waits = false, known = true;
            for (const std::string& in : n.input()) {
                if (in.empty() || g.is_constant(in)) continue;
                if (waiting_outputs.count(in)) waits = true;
                else known = false;
            }
            if ((n.op_type() == "Shape" && n.input_size() == 1 && !g.is_constant(n.input(0)) && !waiting_outputs.count(n.input(0))) || (waits && known)) {
                defined.insert(n.output(0));
                waiting_outputs.insert(n.output(0));
                g.waiting.push_back(&n);
                continue;
            }
        }
        if (n.output_size() < 1 || n.output(0).empty()) throw Error(where + " has no output");
        for (const std::string& out : n.output())
            if (!out.empty() && (!defined.insert(out).second || g.is_constant(out)))
                throw Error(where + " writes '" + out + "', which is already defined");
        const int index = int(g.nodes.size());
        g.nodes.push_back(&n);
        for (const std::string& in : g.data_inputs(n)) g.consumers[in].push_back(index);
    }
    if (!defined.count(g.output) && !g.is_constant(g.output))
        throw Error(source + ": no node writes the graph's output '" + g.output + "'");
    return g;
}

}  // namespace kiln::onnx::detail
