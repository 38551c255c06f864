// import_model: walks the graph from its input to its output, chains becoming layers and forks
// that meet again becoming Residual (at an Add), Concat, or Gate (at a Mul of the forked tensor by
// what a branch computed from it: squeeze-excitation; SiLU and HardSwish when the branch is one
// Sigmoid or HardSigmoid(1/6, 1/2)); the layers are made with the DSL's own
// make_layer_spec, so their shapes follow the one shape rule and a bad one is refused like a bad
// declaration.
#include "kiln/onnx/import.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

#include "kiln/dsl/signature.hpp"
#include "kiln/runtime/error.hpp"
#include "operators.hpp"
#include "ratio.hpp"

namespace kiln::onnx {

namespace {

using detail::dims_text;
using detail::Graph;
using ::onnx::NodeProto;

std::string identifier(std::string s) {
    for (char& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "Net_" + s;
    return s;
}

class Walker {
    // A Pad of zeros waiting for the layer that reads it.
    struct PendingPad {
        Pads rows, cols;
        OnnxLayout before;  // the tensor the Pad read
        std::string where;
    };

  public:
    Walker(Graph& g, const ImportOptions& options, ImportedNet& out) : g_(g), options_(options), out_(out) {}

    std::vector<LayerSpec> run() {
        std::vector<LayerSpec> layers;
        std::string t = g_.input;
        OnnxLayout v = g_.input_layout;
        walk(t, v, layers, "", -1);
        out_.output = v;
        return layers;
    }
    std::map<std::string, std::vector<float>> values;

  private:
    // Appends the layers from tensor t until t is read by `join` alone (a branch), or is the graph's
    // output (join < 0).
    void walk(std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix, int join) {
        for (;;) {
            g_.reached(t, v);
            const std::vector<int> readers = readers_of(t);
            if (pending_pad_ && (readers.size() != 1 || readers[0] == join || t == g_.output)) refuse_pending_pad("");
            if (join >= 0) {
                if (readers.size() == 1 && readers[0] == join) return;
                if (std::count(readers.begin(), readers.end(), join))
                    throw Error(g_.describe(join) + ": reads tensor '" + t + "' both directly and through other nodes; kiln's branches "
                                                    "each start at the tensor that forks");
            } else if (t == g_.output) {
                if (!readers.empty()) throw Error(g_.describe(readers[0]) + ": reads the graph's output '" + t + "'; kiln nets end at their output");
                return;
            }
            if (readers.empty()) throw Error("tensor '" + t + "' is read by no node and is not the graph's output '" + g_.output + "'");
            if (readers.size() == 1) apply(readers[0], t, v, layers, prefix);
            else if (readers.size() == 2 && (layer_norm(readers, t, v, layers, prefix) || gelu(readers, t, v, layers, prefix) ||
                                             mish(readers, t, v, layers, prefix)))
                continue;
            else if (gelu_tanh(readers, t, v, layers, prefix)) continue;
            else fork(readers, t, v, layers, prefix);
        }
    }

    std::vector<int> readers_of(const std::string& t) const {
        auto it = g_.consumers.find(t);
        return it == g_.consumers.end() ? std::vector<int>{} : it->second;
    }

    std::string path_of(const std::vector<LayerSpec>& layers, const std::string& prefix) const {
        return (prefix.empty() ? "" : prefix + "/") + std::to_string(layers.size() + 1);
    }

    // Checks that nothing reads a node's outputs after the first (a mask, an index, running statistics).
    void require_one_output(int node) const {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        for (int i = 1; i < n.output_size(); ++i)
            if (!n.output(i).empty() && (g_.consumers.count(n.output(i)) || n.output(i) == g_.output))
                throw Error(g_.describe(node) + ": output " + std::to_string(i) + " ('" + n.output(i) + "') is used; kiln computes only the first");
    }

    template <class Attrs>
    LayerSpec make(const Attrs& attrs, Shape in, const std::string& path, const std::string& where) {
        try {
            return make_layer_spec(attrs, in, path);
        } catch (const std::invalid_argument& e) {
            throw Error(where + ": " + std::string(e.what()).substr(6));  // without make_layer_spec's "kiln: "
        }
    }

    void store(const LayerSpec& spec, const std::map<std::string, std::vector<float>>& params, const std::map<std::string, std::string>& sources) {
        for (const ParamSpec& p : spec.params) {
            auto it = params.find(p.role);
            if (it == params.end() || extent_t(it->second.size()) != p.elements())
                throw std::logic_error("kiln-import: no or wrongly sized values for " + p.name);
            values[p.name] = it->second;
            auto s = sources.find(p.role);
            if (s != sources.end()) out_.weight_sources[p.name] = s->second;
        }
    }

    void origin(const LayerSpec& spec, const std::string& nodes, const OnnxLayout& out) {
        out_.origins[spec.path] = LayerOrigin{nodes, out.dims(1)};
    }

    // Appends a layer made from nodes `where` that leaves the view `v` as it is; `output` becomes the
    // walk's tensor, produced by that layer.
    void append(LayerSpec spec, const std::string& where, const OnnxLayout& v, std::vector<LayerSpec>& layers, std::string& t,
                const std::string& output) {
        origin(spec, where, v);
        layers.push_back(std::move(spec));
        t = output;
        last_producer_ = t;
    }

    void apply(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const std::string where = g_.describe(node);
        if (g_.data_inputs(n).size() != 1)
            throw Error(where + ": joins tensor '" + t + "' with tensors from elsewhere; kiln joins only branches that fork from one "
                                "tensor (an Add of two: Residual; a Concat)");
        if (n.op_type() == "Split") {  // several outputs, each a part of the channels
            if (pending_pad_) refuse_pending_pad(where);
            return split(node, t, v, layers, prefix);
        }
        require_one_output(node);
        if (pending_pad_ && (n.op_type() == "Add" || n.op_type() == "BatchNormalization")) refuse_pending_pad(where);
        if (n.op_type() == "Transpose") return transpose(node, t, v);
        if (v.channels_last && !works_channels_last(n.op_type()))
            throw Error(where + ": operator " + n.op_type() + " on a channels-last tensor [N, H, W, C] is not supported (kiln maps MatMul, Add, "
                                "Mul, LayerNorm's and GELU's patterns and element-wise activations there)");
        if (n.op_type() == "Add") return add_constant(node, t, v, layers);
        if (n.op_type() == "Mul") return scale_by_constant(node, t, v, layers, prefix);
        if (n.op_type() == "LayerNormalization") return layer_normalization(node, t, v, layers, prefix);
        if (n.op_type() == "BatchNormalization") return batch_norm(node, t, v, layers, prefix);
        if (n.op_type() == "Reshape" && !pending_pad_ && channel_shuffle(node, t, v, layers, prefix)) return;
        detail::Mapped m = detail::map_operator(g_, n, where, v);
        if (m.zero_pad) {  // held until the layer that reads it
            if (pending_pad_) refuse_pending_pad(where);
            pending_pad_ = PendingPad{m.zero_pad->first, m.zero_pad->second, v, where};
            v = m.out;
            t = n.output(0);
            return;
        }
        std::optional<PendingPad> pad = std::move(pending_pad_);
        pending_pad_.reset();
        if (pad && !m.attrs) refuse_pending_pad(where, &*pad);
        if (m.attrs) {
            std::string nodes = where;
            Shape in = v.shape;
            if (pad) {  // the Pad's zeros become the layer's own padding, resolved against the padded input
                nodes = pad->where + " + " + where;
                in = pad->before.shape;
                const auto fold = [&](Padding& padding, Pads rows, Pads cols) {
                    padding = Padding{PaddingKind::explicit_pads, {rows.begin + pad->rows.begin, rows.end + pad->rows.end},
                                      {cols.begin + pad->cols.begin, cols.end + pad->cols.end}};
                };
                if (auto* c = std::get_if<ConvAttrs>(&*m.attrs)) {
                    fold(c->padding, c->rows(v.shape), c->cols(v.shape));
                } else if (auto* p = std::get_if<PoolAttrs>(&*m.attrs);
                           p && p->function == PoolFunction::average && p->count_padding && !p->ceil_mode) {
                    fold(p->padding, p->rows(v.shape), p->cols(v.shape));
                } else {
                    refuse_pending_pad(where, &*pad);
                }
            }
            LayerSpec spec = std::visit(
                [&](const auto& a) -> LayerSpec {
                    using A = std::decay_t<decltype(a)>;
                    if constexpr (std::is_same_v<A, ConcatAttrs> || std::is_same_v<A, ResidualAttrs> || std::is_same_v<A, GateAttrs>)
                        throw std::logic_error("kiln-import: an operator mapped to a composite layer");
                    else
                        return make(a, in, path_of(layers, prefix), where);
                },
                *m.attrs);
            store(spec, m.params, m.sources);
            m.out.shape = spec.out;
            origin(spec, nodes, m.out);
            layers.push_back(std::move(spec));
            last_producer_ = n.output(0);
        }
        v = m.out;
        t = n.output(0);
    }

    // Reshape [N, C, H, W] -> [N, g, C / g, H, W], Transpose (0, 2, 1, 3, 4), Reshape back to
    // [N, C, H, W]: ShuffleNet's channel shuffle, one layer. The batch extent may be written as 0,
    // -1 or the exported 1. False (nothing consumed) for any other Reshape.
    bool channel_shuffle(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const Shape in = v.shape;
        const auto target = [&](const NodeProto& r) -> const std::vector<std::int64_t>* {
            if (r.input_size() != 2 || !g_.is_constant(r.input(1)) || g_.data_inputs(r).size() != 1 || r.attribute_size() != 0) return nullptr;
            const OnnxTensor& s = g_.constants.at(r.input(1));
            // A target computed from the input's Shape holds the batch first (and its value 0 says so).
            const auto batch = g_.batch_entries.find(r.input(1));
            if (batch != g_.batch_entries.end() && std::count(batch->second.begin() + 1, batch->second.end(), 1) != 0) return nullptr;
            return s.integral ? &s.ints : nullptr;
        };
        const auto batch = [](std::int64_t d) { return d == 0 || d == -1 || d == 1; };
        const auto only_reader = [&](const std::string& tensor) {
            const std::vector<int> r = readers_of(tensor);
            return r.size() == 1 && tensor != g_.output ? r[0] : -1;
        };
        const std::vector<std::int64_t>* split = target(n);
        if (v.rank != 4 || v.flattened || !split || split->size() != 5) return false;
        const std::vector<std::int64_t>& s = *split;
        const std::int64_t groups = s[1];
        if (!batch(s[0]) || groups < 1 || in.c % groups != 0 || !(s[2] == in.c / groups || s[2] == -1) || s[3] != in.h || s[4] != in.w) return false;
        const int transpose = only_reader(n.output(0));
        if (transpose < 0) return false;
        const NodeProto& tr = *g_.nodes[std::size_t(transpose)];
        std::vector<std::int64_t> perm;
        for (const auto& a : tr.attribute())
            if (a.name() == "perm") perm.assign(a.ints().begin(), a.ints().end());
        if (tr.op_type() != "Transpose" || perm != std::vector<std::int64_t>{0, 2, 1, 3, 4} || tr.attribute_size() != 1) return false;
        const int back = only_reader(tr.output(0));
        if (back < 0) return false;
        const NodeProto& b = *g_.nodes[std::size_t(back)];
        const std::vector<std::int64_t>* merged = b.op_type() == "Reshape" ? target(b) : nullptr;
        if (!merged || merged->size() != 4) return false;
        const std::vector<std::int64_t>& m = *merged;
        if (!batch(m[0]) || !(m[1] == in.c || m[1] == -1) || m[2] != in.h || m[3] != in.w) return false;
        for (int k : {node, transpose, back}) require_one_output(k);
        const std::string where = g_.describe(node) + " -> " + g_.describe(transpose) + " -> " + g_.describe(back);
        ChannelShuffleAttrs shuffle;
        shuffle.groups = groups;
        LayerSpec spec = make(shuffle, in, path_of(layers, prefix), where);
        append(std::move(spec), where, v, layers, t, b.output(0));
        return true;
    }

    // Transposes between [N, C, H, W] and [N, H, W, C] (ConvNeXt's blocks): kiln's tensors are NHWC,
    // so only the ONNX view changes; no layer.
    void transpose(int node, std::string& t, OnnxLayout& v) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        std::vector<std::int64_t> perm;
        for (const auto& a : n.attribute()) {
            if (a.name() != "perm") throw Error(g_.describe(node) + ": attribute '" + a.name() + "' is not supported");
            perm.assign(a.ints().begin(), a.ints().end());
        }
        const bool image = v.rank == 4 && !v.flattened && !pending_pad_;
        if (image && !v.channels_last && perm == std::vector<std::int64_t>{0, 2, 3, 1}) v.channels_last = true;
        else if (image && v.channels_last && perm == std::vector<std::int64_t>{0, 3, 1, 2}) v.channels_last = false;
        else
            throw Error(g_.describe(node) + ": perm " + dims_text(perm) + " of " + dims_text(v.dims(1)) +
                        " is not supported: kiln maps a Transpose only from [N, C, H, W] to [N, H, W, C] and back");
        t = n.output(0);
    }

    static bool works_channels_last(const std::string& op) {
        for (const char* ok : {"MatMul", "Add", "Mul", "Transpose", "LayerNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip",
                               "Identity", "Dropout"})
            if (op == ok) return true;
        return false;
    }

    // A Mul by a constant, per channel or one value: a ChannelScale (ConvNeXt's layer scale).
    void scale_by_constant(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const std::string where = g_.describe(node);
        std::string constant;
        for (const std::string& in : n.input())
            if (g_.is_constant(in)) constant = in;
        if (n.input_size() != 2 || constant.empty() || n.attribute_size() != 0) throw Error(where + ": a Mul needs two inputs, one of them a constant");
        const auto gamma = detail::channel_bias(g_, n, constant, v);
        if (!gamma)
            throw Error(where + ": multiplying by constant '" + constant + "' " + dims_text(g_.constants.at(constant).dims) +
                        " is supported only per channel or by one value");
        LayerSpec spec = make(ChannelScaleAttrs{}, v.shape, path_of(layers, prefix), where);
        store(spec, {{"gamma", *gamma}}, {{"gamma", constant}});
        append(std::move(spec), where, v, layers, t, n.output(0));
    }

    // LayerNormalization (opset 17) over exactly the channels: the last axis of a channels-last
    // tensor, or of [N, C]; of [N, C, 1, 1] from axis 1.
    void layer_normalization(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const std::string where = g_.describe(node);
        std::int64_t axis = -1;
        float epsilon = 1e-5f;
        for (const auto& a : n.attribute()) {
            if (a.name() == "axis") axis = a.i();
            else if (a.name() == "epsilon") epsilon = a.f();
            else if (a.name() != "stash_type") throw Error(where + ": attribute '" + a.name() + "' is not supported");
        }
        if (axis < 0) axis += v.rank;
        const bool channels = v.channels_last ? axis == 3 : v.rank == 2 ? axis == 1 && !v.flattened : v.rank == 4 && axis == 1 && v.shape.h * v.shape.w == 1;
        if (!channels)
            throw Error(where + ": normalizes " + dims_text(v.dims(1)) + " from axis " + std::to_string(axis) +
                        "; kiln's LayerNorm normalizes each pixel's channels (the last axis of [N, H, W, C])");
        if (!(epsilon > 0) || !std::isfinite(epsilon)) throw Error(where + ": epsilon must be a positive number");
        const auto per_channel = [&](int index, const char* role) -> std::vector<float> {
            if (index >= n.input_size() || n.input(index).empty()) return std::vector<float>(std::size_t(v.shape.c), index == 1 ? 1.0f : 0.0f);
            if (!g_.is_constant(n.input(index))) throw Error(where + ": " + role + " is computed by the graph; kiln needs a constant");
            const OnnxTensor& c = g_.constants.at(n.input(index));
            if (c.integral || c.elements() != v.shape.c)
                throw Error(where + ": " + role + " " + dims_text(c.dims) + " does not hold one float per channel (" + std::to_string(v.shape.c) + ")");
            return c.floats;
        };
        const std::vector<float> gamma = per_channel(1, "Scale"), beta = per_channel(2, "B");
        const detail::Ratio e = detail::ratio_of(epsilon);
        LayerNormAttrs a;
        a.epsilon_num = e.num, a.epsilon_den = e.den;
        LayerSpec spec = make(a, v.shape, path_of(layers, prefix), where);
        store(spec, {{"gamma", gamma}, {"beta", beta}}, {{"gamma", n.input_size() > 1 ? n.input(1) : ""}, {"beta", n.input_size() > 2 ? n.input(2) : ""}});
        append(std::move(spec), where, v, layers, t, n.output(0));
    }

    // The one node reading `tensor`, or -1.
    int only_reader(const std::string& tensor) const {
        const std::vector<int> r = readers_of(tensor);
        return r.size() == 1 && tensor != g_.output ? r[0] : -1;
    }
    const NodeProto* node_of(int index, const char* op) const {
        return index >= 0 && g_.nodes[std::size_t(index)]->op_type() == op ? g_.nodes[std::size_t(index)] : nullptr;
    }
    // The constant input of a binary node whose other input is `data`, or "".
    std::string constant_beside(const NodeProto& n, const std::string& data) const {
        if (n.input_size() != 2 || n.attribute_size() != 0) return {};
        const std::string& other = n.input(0) == data ? n.input(1) : n.input(1) == data ? n.input(0) : std::string();
        return !other.empty() && g_.is_constant(other) ? other : std::string();
    }
    // That constant's value when it is one number.
    std::optional<float> scalar_beside(const NodeProto& n, const std::string& data) const {
        const std::string other = constant_beside(n, data);
        if (other.empty() || g_.constants.at(other).elements() != 1) return std::nullopt;
        const OnnxTensor& c = g_.constants.at(other);
        return c.integral ? float(c.ints[0]) : c.floats[0];
    }
    bool reduces_channels(const NodeProto& n, const OnnxLayout& v) const {
        std::vector<std::int64_t> axes;
        std::int64_t keep = 1;
        for (const auto& a : n.attribute()) {
            if (a.name() == "axes") axes.assign(a.ints().begin(), a.ints().end());
            else if (a.name() == "keepdims") keep = a.i();
            else return false;
        }
        const std::int64_t axis = axes.size() == 1 ? (axes[0] < 0 ? axes[0] + v.rank : axes[0]) : -1;
        return keep == 1 && n.input_size() == 1 && v.rank == 4 && !v.flattened && axis == v.channel_axis();
    }

    // LayerNorm as exported before opset 17: mean = ReduceMean(x), d = x - mean,
    // d / Sqrt(ReduceMean(Pow(d, 2)) + eps) * gamma + beta, over the channels.
    bool layer_norm(const std::vector<int>& readers, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto* mean = nullptr;
        const NodeProto* sub = nullptr;
        for (int r : readers) {
            if (const NodeProto* m = node_of(r, "ReduceMean")) mean = m;
            if (const NodeProto* s = node_of(r, "Sub")) sub = s;
        }
        if (!mean || !sub || !reduces_channels(*mean, v) || sub->input_size() != 2 || sub->input(0) != t || sub->input(1) != mean->output(0) ||
            only_reader(mean->output(0)) < 0)
            return false;
        const std::vector<int> centred = readers_of(sub->output(0));
        if (centred.size() != 2) return false;
        const NodeProto* pow = nullptr;
        const NodeProto* div = nullptr;
        for (int r : centred) {
            if (const NodeProto* p = node_of(r, "Pow")) pow = p;
            if (const NodeProto* d = node_of(r, "Div")) div = d;
        }
        if (!pow || !div || scalar_beside(*pow, sub->output(0)) != 2.0f || pow->input(0) != sub->output(0)) return false;
        const NodeProto* variance = node_of(only_reader(pow->output(0)), "ReduceMean");
        if (!variance || !reduces_channels(*variance, v)) return false;
        const NodeProto* plus = node_of(only_reader(variance->output(0)), "Add");
        const std::optional<float> epsilon = plus ? scalar_beside(*plus, variance->output(0)) : std::nullopt;
        const NodeProto* root = plus ? node_of(only_reader(plus->output(0)), "Sqrt") : nullptr;
        if (!epsilon || !(*epsilon > 0) || !std::isfinite(*epsilon) || !root || node_of(only_reader(root->output(0)), "Div") != div ||
            div->input(0) != sub->output(0) || div->input(1) != root->output(0))
            return false;
        const NodeProto* scale = node_of(only_reader(div->output(0)), "Mul");
        const NodeProto* shift = scale ? node_of(only_reader(scale->output(0)), "Add") : nullptr;
        if (!shift) return false;
        const std::string gamma_name = constant_beside(*scale, div->output(0)), beta_name = constant_beside(*shift, scale->output(0));
        if (gamma_name.empty() || beta_name.empty()) return false;
        const auto gamma = detail::channel_bias(g_, *scale, gamma_name, v), beta = detail::channel_bias(g_, *shift, beta_name, v);
        if (!gamma || !beta) return false;
        const detail::Ratio e = detail::ratio_of(*epsilon);
        const std::string where = g_.describe(readers[0]) + " ... " + "node \"" + shift->name() + "\" (Add): LayerNorm";
        LayerNormAttrs a;
        a.epsilon_num = e.num, a.epsilon_den = e.den;
        LayerSpec spec = make(a, v.shape, path_of(layers, prefix), where);
        store(spec, {{"gamma", *gamma}, {"beta", *beta}}, {{"gamma", gamma_name}, {"beta", beta_name}});
        append(std::move(spec), where, v, layers, t, shift->output(0));
        return true;
    }

    // Whether n multiplies (or adds) exactly tensors a and b, in either order.
    static bool reads_pair(const NodeProto* n, const std::string& a, const std::string& b) {
        return n && n->input_size() == 2 && n->attribute_size() == 0 &&
               ((n->input(0) == a && n->input(1) == b) || (n->input(0) == b && n->input(1) == a));
    }

    // The last of `readers` whose operator is `op`, or null.
    const NodeProto* reader_of(const std::vector<int>& readers, const char* op) const {
        const NodeProto* found = nullptr;
        for (int r : readers)
            if (const NodeProto* n = node_of(r, op)) found = n;
        return found;
    }

    // An activation matched from several nodes, from the readers of t to `last`: one layer.
    bool matched(const ActivationAttrs& a, const char* what, const std::vector<int>& readers, const NodeProto& last, std::string& t,
                 OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const std::string where = g_.describe(readers[0]) + " ... node \"" + last.name() + "\" (" + last.op_type() + "): " + what;
        append(make(a, v.shape, path_of(layers, prefix), where), where, v, layers, t, last.output(0));
        return true;
    }

    // GELU as exported before opset 20: x * (Erf(x / sqrt 2) + 1) * 0.5.
    bool gelu(const std::vector<int>& readers, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto* div = reader_of(readers, "Div");
        const NodeProto* product = reader_of(readers, "Mul");
        if (!div || !product || div->input(0) != t) return false;
        const std::optional<float> root2 = scalar_beside(*div, t);
        if (!root2 || std::fabs(*root2 - float(M_SQRT2)) > 1e-6f) return false;
        const NodeProto* erf = node_of(only_reader(div->output(0)), "Erf");
        const NodeProto* plus = erf ? node_of(only_reader(erf->output(0)), "Add") : nullptr;
        if (!plus || scalar_beside(*plus, erf->output(0)) != 1.0f || node_of(only_reader(plus->output(0)), "Mul") != product ||
            !reads_pair(product, t, plus->output(0)))
            return false;
        const NodeProto* half = node_of(only_reader(product->output(0)), "Mul");
        if (!half || scalar_beside(*half, product->output(0)) != 0.5f) return false;
        return matched(Gelu::attrs, "GELU", readers, *half, t, v, layers, prefix);
    }

    // GELU's tanh form as torch exports it: x * (Tanh(sqrt(2 / pi) * (x + 0.044715 * x * x * x)) + 1) * 0.5,
    // x read by Mul(x, x), Mul(x, x^2), the Add and the product.
    bool gelu_tanh(const std::vector<int>& readers, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        if (readers.size() != 5) return false;
        const NodeProto* square = nullptr;
        for (int r : readers)
            if (reads_pair(node_of(r, "Mul"), t, t)) square = g_.nodes[std::size_t(r)];
        if (!square) return false;
        const NodeProto* cube = node_of(only_reader(square->output(0)), "Mul");
        if (!reads_pair(cube, t, square->output(0))) return false;
        const NodeProto* cubic = node_of(only_reader(cube->output(0)), "Mul");
        const std::optional<float> c = cubic ? scalar_beside(*cubic, cube->output(0)) : std::nullopt;
        if (!c || std::fabs(*c - 0.044715f) > 1e-6f) return false;
        const NodeProto* inner = node_of(only_reader(cubic->output(0)), "Add");
        if (!reads_pair(inner, t, cubic->output(0))) return false;
        const NodeProto* scaled = node_of(only_reader(inner->output(0)), "Mul");
        const std::optional<float> k = scaled ? scalar_beside(*scaled, inner->output(0)) : std::nullopt;
        if (!k || std::fabs(*k - float(std::sqrt(2 / M_PI))) > 1e-6f) return false;
        const NodeProto* th = node_of(only_reader(scaled->output(0)), "Tanh");
        const NodeProto* plus = th ? node_of(only_reader(th->output(0)), "Add") : nullptr;
        if (!plus || scalar_beside(*plus, th->output(0)) != 1.0f) return false;
        const NodeProto* product = node_of(only_reader(plus->output(0)), "Mul");
        if (!reads_pair(product, t, plus->output(0))) return false;
        const NodeProto* half = node_of(only_reader(product->output(0)), "Mul");
        if (!half || scalar_beside(*half, product->output(0)) != 0.5f) return false;
        std::vector<const NodeProto*> read, want{square, square, cube, inner, product};
        for (int r : readers) read.push_back(g_.nodes[std::size_t(r)]);
        std::sort(read.begin(), read.end()), std::sort(want.begin(), want.end());
        if (read != want) return false;
        return matched(GeluTanh::attrs, "GELU (tanh form)", readers, *half, t, v, layers, prefix);
    }

    // Mish as torch exports it: x * Tanh(Softplus(x)).
    bool mish(const std::vector<int>& readers, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto* softplus = reader_of(readers, "Softplus");
        const NodeProto* product = reader_of(readers, "Mul");
        if (!softplus || !product || softplus->attribute_size() != 0 || softplus->input_size() != 1) return false;
        const NodeProto* th = node_of(only_reader(softplus->output(0)), "Tanh");
        if (!th || !reads_pair(product, t, th->output(0)) || node_of(only_reader(th->output(0)), "Mul") != product) return false;
        return matched(Mish::attrs, "Mish", readers, *product, t, v, layers, prefix);
    }

    // A Pad of zeros not read by exactly one Conv or counting AveragePool.
    [[noreturn]] void refuse_pending_pad(const std::string& next, const PendingPad* pad = nullptr) {
        const PendingPad& p = pad ? *pad : *pending_pad_;
        throw Error(p.where + ": a Pad of zeros is supported only when one Conv, or one AveragePool counting padding, reads it (kiln "
                              "pads inside those layers); " + (next.empty() ? std::string("here the graph forks or ends") : "here " + next + " reads it"));
    }

    // An Add of a constant: the bias of the bias-less Conv, Gemm or MatMul right before it.
    void add_constant(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const std::string where = g_.describe(node);
        std::string constant;
        for (const std::string& in : n.input())
            if (g_.is_constant(in)) constant = in;
        for (const auto& a : n.attribute())
            if (a.name() != "axis" && a.name() != "broadcast") throw Error(where + ": attribute '" + a.name() + "' is not supported");
        if (n.input_size() != 2 || constant.empty()) throw Error(where + ": an Add needs two inputs");
        LayerSpec* last = layers.empty() || last_producer_ != t ? nullptr : &layers.back();
        auto* conv = last ? std::get_if<ConvAttrs>(&last->attrs) : nullptr;
        auto* dense = last ? std::get_if<DenseAttrs>(&last->attrs) : nullptr;
        const auto bias = detail::channel_bias(g_, n, constant, v);
        if (!((conv && !conv->bias) || (dense && !dense->bias)) || !bias)
            throw Error(where + ": adding constant '" + constant + "' " + dims_text(g_.constants.at(constant).dims) +
                        " is supported only as a per-channel bias of the bias-less Conv, Gemm or MatMul right before it");
        std::map<std::string, std::vector<float>> params{{"bias", *bias}};
        for (const ParamSpec& p : last->params) params[p.role] = values.at(p.name);
        const std::string path = last->path, nodes = out_.origins[path].nodes + " + " + where;
        LayerSpec spec = conv ? (conv->bias = true, make(*conv, last->in, path, where)) : (dense->bias = true, make(*dense, last->in, path, where));
        store(spec, params, {{"bias", constant}});
        *last = std::move(spec);
        out_.origins[path].nodes = nodes;
        t = n.output(0);
        last_producer_ = t;
    }

    void batch_norm(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const std::string where = g_.describe(node);
        const detail::ScaleShift ss = detail::batch_norm_scale_shift(g_, n, where, v);
        LayerSpec* last = layers.empty() || last_producer_ != t ? nullptr : &layers.back();
        auto* conv = last ? std::get_if<ConvAttrs>(&last->attrs) : nullptr;
        if (options_.fold_batch_norm && conv) {
            // w'[..][o] = w[..][o] * scale[o]; b'[o] = b[o] * scale[o] + shift[o].
            std::vector<float> w = values.at(last->name + ".weights");
            std::vector<float> b = conv->bias ? values.at(last->name + ".bias") : std::vector<float>(std::size_t(conv->filters), 0.0f);
            const std::size_t filters = std::size_t(conv->filters);
            for (std::size_t i = 0; i < w.size(); ++i) w[i] *= ss.scale[i % filters];
            for (std::size_t o = 0; o < filters; ++o) b[o] = b[o] * ss.scale[o] + ss.shift[o];
            const std::string path = last->path, nodes = out_.origins[path].nodes + " + " + where + ", folded";
            const std::string weight_source = out_.weight_sources[last->name + ".weights"] + " (folded with " + ss.sources + ")";
            conv->bias = true;
            LayerSpec spec = make(*conv, last->in, path, where);
            store(spec, {{"weights", w}, {"bias", b}}, {{"weights", weight_source}, {"bias", ss.sources}});
            *last = std::move(spec);
            out_.origins[path].nodes = nodes;
        } else {
            LayerSpec spec = make(BatchNormAttrs{}, v.shape, path_of(layers, prefix), where);
            store(spec, {{"scale", ss.scale}, {"shift", ss.shift}}, {{"scale", ss.sources}, {"shift", ss.sources}});
            origin(spec, where, v);
            layers.push_back(std::move(spec));
        }
        t = n.output(0);
        last_producer_ = t;
    }

    // Nodes reachable from `start` (itself included), by index.
    std::vector<char> reachable(int start) const {
        std::vector<char> seen(g_.nodes.size(), 0);
        std::vector<int> todo{start};
        while (!todo.empty()) {
            const int i = todo.back();
            todo.pop_back();
            if (seen[std::size_t(i)]) continue;
            seen[std::size_t(i)] = 1;
            for (const std::string& out : g_.nodes[std::size_t(i)]->output())
                if (auto it = g_.consumers.find(out); it != g_.consumers.end()) todo.insert(todo.end(), it->second.begin(), it->second.end());
        }
        return seen;
    }

    struct Branch {
        std::vector<LayerSpec> layers;
        std::string end;
        OnnxLayout view;
    };

    // The first node that every one of `starts` (sets of nodes) reaches: where branches from tensor t
    // meet, checked to be a join kiln maps reading exactly `branches` tensors.
    int find_join(const std::vector<std::vector<int>>& starts, const std::string& t) const {
        std::vector<char> common(g_.nodes.size(), 1);
        for (const std::vector<int>& start : starts) {
            std::vector<char> seen(g_.nodes.size(), 0);
            for (int r : start) {
                const std::vector<char> from = reachable(r);
                for (std::size_t i = 0; i < seen.size(); ++i) seen[i] = seen[i] || from[i];
            }
            for (std::size_t i = 0; i < common.size(); ++i) common[i] = common[i] && seen[i];
        }
        const auto first = std::find(common.begin(), common.end(), 1);
        if (first == common.end()) throw Error("the branches from tensor '" + t + "' never meet again; kiln nets have one output");
        const int join = int(first - common.begin());
        const NodeProto& j = *g_.nodes[std::size_t(join)];
        const std::string where = g_.describe(join);
        if (j.op_type() != "Add" && j.op_type() != "Concat" && j.op_type() != "Mul")
            throw Error(where + ": the branches from tensor '" + t + "' meet here; kiln joins branches by Add (Residual), Concat, or a Mul of "
                                "the tensor by a branch computed from it (Gate)");
        const std::size_t joined = g_.data_inputs(j).size();
        if (joined != starts.size() || j.input_size() != int(joined))
            throw Error(where + ": joins " + std::to_string(j.input_size()) + " tensors, of which " + std::to_string(starts.size()) +
                        " are branches from tensor '" + t + "'; kiln joins exactly the branches of one fork");
        require_one_output(join);
        return join;
    }

    // Tensor t read by several nodes: branches that must meet at one Add (Residual), Concat or Mul (Gate).
    void fork(const std::vector<int>& readers, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        std::vector<std::vector<int>> starts;
        for (int r : readers) starts.push_back({r});
        const int join = find_join(starts, t);
        const std::string path = path_of(layers, prefix);
        std::vector<Branch> branches;
        for (std::size_t b = 0; b < readers.size(); ++b) {
            Branch br{{}, t, v};
            const std::string branch_prefix = path + "/b" + std::to_string(b + 1);
            if (readers[b] != join) {
                apply(readers[b], br.end, br.view, br.layers, branch_prefix);
                walk(br.end, br.view, br.layers, branch_prefix, join);
            }
            branches.push_back(std::move(br));
        }
        join_branches(join, std::move(branches), t, v, layers, path);
    }

    // Split of the channels into parts that meet again (ShuffleNetV2's halves): each part is a
    // branch that begins with a ChannelSlice. One part in use is one ChannelSlice.
    void split(int node, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers, const std::string& prefix) {
        const NodeProto& n = *g_.nodes[std::size_t(node)];
        const std::string where = g_.describe(node);
        const std::vector<std::pair<extent_t, extent_t>> ranges = detail::split_channels(g_, n, where, v);
        std::vector<int> used;
        for (int k = 0; k < n.output_size(); ++k)
            if (!n.output(k).empty() && (g_.consumers.count(n.output(k)) || n.output(k) == g_.output)) used.push_back(k);
        const auto sliced = [&](int k, const std::string& path) {
            LayerSpec spec = make(ChannelSliceAttrs{ranges[std::size_t(k)].first, ranges[std::size_t(k)].second}, v.shape, path,
                                  where + ", output " + std::to_string(k));
            OnnxLayout view = v;
            view.shape = spec.out;
            origin(spec, where + ", output " + std::to_string(k), view);
            return std::make_pair(std::move(spec), view);
        };
        if (used.empty()) throw Error(where + ": none of its outputs is read");
        if (used.size() == 1) {
            auto [spec, view] = sliced(used[0], path_of(layers, prefix));
            layers.push_back(std::move(spec));
            v = view;
            t = n.output(used[0]);
            last_producer_ = t;
            return;
        }
        std::vector<std::vector<int>> starts;
        for (int k : used) {
            if (n.output(k) == g_.output) throw Error(where + ": output " + std::to_string(k) + " is the graph's output; kiln nets have one output");
            starts.push_back(readers_of(n.output(k)));
        }
        const int join = find_join(starts, t);
        const std::string path = path_of(layers, prefix);
        std::vector<Branch> branches;
        for (std::size_t b = 0; b < used.size(); ++b) {
            const std::string branch_prefix = path + "/b" + std::to_string(b + 1);
            auto [spec, view] = sliced(used[b], branch_prefix + "/1");
            Branch br{{}, n.output(used[b]), view};
            br.layers.push_back(std::move(spec));
            last_producer_ = br.end;
            walk(br.end, br.view, br.layers, branch_prefix, join);
            branches.push_back(std::move(br));
        }
        join_branches(join, std::move(branches), t, v, layers, path);
    }

    // Joins the branches that meet at node `join` into one Residual, Concat or Gate at `path`.
    void join_branches(int join, std::vector<Branch> branches, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers,
                       const std::string& path) {
        const NodeProto& j = *g_.nodes[std::size_t(join)];
        const std::string where = g_.describe(join);
        const bool residual = j.op_type() == "Add", gate = j.op_type() == "Mul";
        const std::vector<std::string> joined = g_.data_inputs(j);
        // Branches in the order the join reads them (a Concat's channel order); renamed to match.
        std::vector<Branch> ordered;
        std::vector<char> used(branches.size(), 0);
        for (const std::string& in : joined)
            for (std::size_t b = 0; b < branches.size(); ++b)
                if (!used[b] && branches[b].end == in) {
                    used[b] = 1;
                    ordered.push_back(std::move(branches[b]));
                    break;
                }
        if (ordered.size() != branches.size()) throw Error(where + ": reads a tensor twice; kiln's branches end in distinct tensors");
        if (gate) return join_gate(join, ordered[0].layers.empty() ? ordered[1] : ordered[0], ordered[0].layers.empty() || ordered[1].layers.empty(), t, v, layers, path);
        LayerSpec s;
        s.path = path;
        s.in = v.shape;
        if (residual) {
            for (const auto& a : j.attribute()) throw Error(where + ": attribute '" + a.name() + "' is not supported (an Add of equal shapes has none)");
            // The longer branch is the body (ResNet's), the other the shortcut.
            if (ordered[1].layers.size() > ordered[0].layers.size()) std::swap(ordered[0], ordered[1]);
            if (ordered[0].view.shape != ordered[1].view.shape || ordered[0].view.rank != ordered[1].view.rank)
                throw Error(where + ": adds " + dims_text(ordered[0].view.dims(1)) + " and " + dims_text(ordered[1].view.dims(1)) +
                            "; kiln's Residual adds equal shapes (no broadcasting)");
            s.attrs = ResidualAttrs{};
            s.out = ordered[0].view.shape;
        } else {
            std::int64_t axis = 1;
            for (const auto& a : j.attribute()) {
                if (a.name() != "axis") throw Error(where + ": attribute '" + a.name() + "' is not supported");
                axis = a.i();
            }
            const int rank = ordered[0].view.rank;
            if (axis < 0) axis += rank;
            if (axis != 1) throw Error(where + ": axis = " + std::to_string(axis) + " is not supported: kiln concatenates along channels (axis 1)");
            Shape out{ordered[0].view.shape.h, ordered[0].view.shape.w, 0};
            for (const Branch& b : ordered) {
                if (b.view.rank != rank || b.view.flattened || b.view.shape.h != out.h || b.view.shape.w != out.w)
                    throw Error(where + ": joins " + dims_text(ordered[0].view.dims(1)) + " and " + dims_text(b.view.dims(1)) +
                                "; kiln concatenates channels of tensors whose other extents agree");
                out.c += b.view.shape.c;
            }
            s.attrs = ConcatAttrs{};
            s.out = out;
        }
        s.name = layer_name(path, residual ? ResidualAttrs::kind : ConcatAttrs::kind);
        // Re-number the branches whose place changed: their layers' names follow their position. A
        // branch's new names may be another branch's old ones (RegNet's Add reads the projection
        // first, so body and shortcut swap), so every branch passes through names of its own first.
        for (std::size_t b = 0; b < ordered.size(); ++b) renumber(ordered[b].layers, path + "/moving" + std::to_string(b + 1));
        for (std::size_t b = 0; b < ordered.size(); ++b) {
            const std::string want = path + "/b" + std::to_string(b + 1);
            renumber(ordered[b].layers, want);
            for (const LayerSpec& l : ordered[b].layers) s.param_count += total_params(l), s.macs += total_macs(l);
            s.children.push_back(std::move(ordered[b].layers));
        }
        const OnnxLayout out{s.out, ordered[0].view.rank, false};
        origin(s, where, out);
        layers.push_back(std::move(s));
        t = j.output(0);
        v = out;
        last_producer_.clear();
    }

    // x * branch(x) at a Mul: SiLU when the branch is one Sigmoid, HardSwish when it is one
    // HardSigmoid(1/6, 1/2), a Gate otherwise.
    template <class Branch>
    void join_gate(int join, Branch& branch, bool one_factor_is_the_fork, std::string& t, OnnxLayout& v, std::vector<LayerSpec>& layers,
                   const std::string& path) {
        const NodeProto& j = *g_.nodes[std::size_t(join)];
        const std::string where = g_.describe(join);
        for (const auto& a : j.attribute()) throw Error(where + ": attribute '" + a.name() + "' is not supported");
        if (!one_factor_is_the_fork)
            throw Error(where + ": multiplies two tensors computed from tensor '" + t + "'; kiln multiplies a tensor only by a branch computed "
                                "from it (a Gate), one factor being the tensor itself");
        const OnnxLayout out{v.shape, v.rank, v.flattened};
        const auto* act = branch.layers.size() == 1 ? std::get_if<ActivationAttrs>(&branch.layers[0].attrs) : nullptr;
        const bool silu = act && act->function == ActivationFunction::sigmoid;
        const bool hard_swish = act && act->function == ActivationFunction::hard_sigmoid && act->slope_num == HardSwish::attrs.slope_num &&
                                act->slope_den == HardSwish::attrs.slope_den && act->offset_num == HardSwish::attrs.offset_num &&
                                act->offset_den == HardSwish::attrs.offset_den;
        if (silu || hard_swish) {
            const std::string nodes = out_.origins[branch.layers[0].path].nodes + " * input, " + where;
            out_.origins.erase(branch.layers[0].path);
            LayerSpec spec = make(silu ? Silu::attrs : HardSwish::attrs, v.shape, path, where);
            origin(spec, nodes, out);
            layers.push_back(std::move(spec));
        } else {
            const Shape s = branch.view.shape;
            const bool per_channel = branch.view.rank == 4 && !branch.view.flattened && s.h == 1 && s.w == 1 && s.c == v.shape.c;
            const bool same = branch.view.rank == v.rank && s == v.shape && branch.view.flattened == v.flattened;
            if (!per_channel && !same)
                throw Error(where + ": multiplies " + dims_text(v.dims(1)) + " by " + dims_text(branch.view.dims(1)) +
                            "; kiln's Gate multiplies by one value per channel ([N, C, 1, 1]) or per value (the same shape)");
            LayerSpec spec;
            spec.path = path;
            spec.name = layer_name(path, GateAttrs::kind);
            spec.attrs = GateAttrs{};
            spec.in = spec.out = v.shape;
            renumber(branch.layers, path + "/moving1");
            renumber(branch.layers, path + "/b1");
            for (const LayerSpec& l : branch.layers) spec.param_count += total_params(l), spec.macs += total_macs(l);
            spec.children.push_back(std::move(branch.layers));
            origin(spec, where, out);
            layers.push_back(std::move(spec));
        }
        t = j.output(0);
        v = out;
        last_producer_.clear();
    }

    static extent_t total_params(const LayerSpec& l) { return l.param_count; }
    static extent_t total_macs(const LayerSpec& l) { return l.macs; }

    // Gives a branch's layers the paths and names of `prefix`, moving their weights and origins.
    void renumber(std::vector<LayerSpec>& layers, const std::string& prefix) {
        for (std::size_t i = 0; i < layers.size(); ++i) {
            LayerSpec& l = layers[i];
            const std::string path = prefix + "/" + std::to_string(i + 1);
            if (l.path == path) continue;
            rename(l, path);
        }
    }
    void rename(LayerSpec& l, const std::string& path) {
        const std::string old_path = l.path;
        const std::string name = layer_name(path, l.kind());
        auto node = out_.origins.extract(old_path);
        node.key() = path;
        out_.origins.insert(std::move(node));
        for (ParamSpec& p : l.params) {
            const std::string renamed = name + "." + p.role;
            if (auto v = values.extract(p.name)) {
                v.key() = renamed;
                if (!values.insert(std::move(v)).inserted)  // a renaming onto a live name would lose its values
                    throw std::logic_error("kiln-import: renaming " + p.name + " onto " + renamed + ", which is taken");
            }
            if (auto s = out_.weight_sources.extract(p.name)) {
                s.key() = renamed;
                out_.weight_sources.insert(std::move(s));
            }
            p.name = renamed;
        }
        l.path = path, l.name = name;
        for (std::size_t b = 0; b < l.children.size(); ++b)
            for (std::size_t i = 0; i < l.children[b].size(); ++i)
                rename(l.children[b][i], path + "/b" + std::to_string(b + 1) + "/" + std::to_string(i + 1));
    }

    Graph& g_;  // the walk folds shape arithmetic into its constants as it reaches tensors
    const ImportOptions& options_;
    ImportedNet& out_;
    std::string last_producer_;  // the tensor the last layer of the current chain wrote
    std::optional<PendingPad> pending_pad_;
};

ImportedNet import_graph(const ::onnx::ModelProto& model, const ImportOptions& options, const std::string& source) {
    Graph g = detail::load_graph(model, options, source);
    ImportedNet out;
    out.opset = g.opset;
    out.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
    out.input_name = g.input;
    out.output_name = g.output;
    out.input = g.input_layout;
    std::string name = options.name.empty() ? (g.proto->name().empty() ? "Net" : g.proto->name()) : options.name;
    out.name = identifier(name);
    Walker walker(g, options, out);
    try {
        out.spec.layers = walker.run();
    } catch (const Error& e) {
        throw Error(source + ": " + std::string(e.what()).substr(6));
    } catch (const std::exception& e) {
        // Only kiln::Error leaves the importer: anything else is a bug of kiln's, said as one.
        throw Error(source + ": kiln's importer failed on this model (" + e.what() + "): a bug in kiln, not in the model");
    }
    if (out.spec.layers.empty()) throw Error(source + ": the graph computes nothing kiln can declare (no layer between input and output)");
    out.spec.input = g.input_layout.shape;
    out.spec.output = out.spec.layers.back().out;
    for (const LayerSpec& l : out.spec.layers) out.spec.param_count += l.param_count, out.spec.macs += l.macs;
    // The declared output shape, where the model gives one, must be what kiln computes.
    const std::vector<std::int64_t> computed = out.output.dims(1);
    if (!g.output_dims.empty()) {
        bool same = g.output_dims.size() == computed.size();
        for (std::size_t i = 1; same && i < computed.size(); ++i) same = g.output_dims[i] < 0 || g.output_dims[i] == computed[i];
        if (!same)
            throw Error(source + ": the model declares output '" + g.output + "' as " + dims_text(g.output_dims) + " but kiln computes " + dims_text(computed) +
                        " (N = 1 shown)");
    }
    out.weights = Weights::for_net(out.spec);
    for (const ParamSpec& p : out.weights.specs()) {
        const auto found = walker.values.find(p.name);
        if (found == walker.values.end())
            throw Error(source + ": kiln's importer lost the values of " + p.name + ": a bug in kiln, not in the model");
        out.weights[p.name] = found->second;
    }
    return out;
}

}  // namespace

const std::vector<std::string>& supported_operators() {
    static const std::vector<std::string> ops = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Relu", "LeakyRelu",
                                                 "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip", "Softmax", "LogSoftmax", "Gemm", "MatMul", "Add", "Mul (a tensor by a branch of it: Gate, SiLU, HardSwish)",
                                                 "BatchNormalization", "LRN", "Concat", "Dropout", "Identity", "Flatten", "Reshape", "Slice and Split (of channels)", "Reshape -> Transpose -> Reshape (a channel shuffle)", "Pad (of zeros)", "ReduceMean and ReduceMax (over H and W)", "Constant", "Transpose (to [N, H, W, C] and back)",
                                                 "LayerNormalization (over channels), and LayerNorm's and GELU's exported patterns",
                                                 "Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Add, Sub, Mul, Div, Slice (integer shape arithmetic, folded)"};
    return ops;
}

ImportedNet import_model_from_memory(const void* data, std::size_t size, const ImportOptions& options, const std::string& name) {
    ::onnx::ModelProto model;
    if (size > std::size_t(INT32_MAX) || !model.ParseFromArray(data, int(size)))
        throw Error(name + " is not an ONNX model (not a ModelProto, or over 2 GiB)");
    if (model.has_graph()) detail::reuse_concat_prefixes(*model.mutable_graph());
    return import_graph(model, options, name);
}

ImportedNet import_model(const std::string& path, const ImportOptions& options) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw Error("cannot read ONNX model " + path);
    if (!S_ISREG(st.st_mode)) throw Error("ONNX model " + path + " is not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read ONNX model " + path);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return import_model_from_memory(bytes.data(), bytes.size(), options, "ONNX model " + path);
}

}  // namespace kiln::onnx
