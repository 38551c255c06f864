// The run-time description of a declared net: plain data (no templates) that the code generator,
// the summary, the runtime and the weight checks read. describe<Net>() builds it from the type;
// make_layer_spec() builds one layer from attribute values, with the same constexpr rules.
#pragma once

#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "kiln/dsl/activation.hpp"
#include "kiln/dsl/batch_norm.hpp"
#include "kiln/dsl/channel_scale.hpp"
#include "kiln/dsl/channels.hpp"
#include "kiln/dsl/check_message.hpp"
#include "kiln/dsl/concat.hpp"
#include "kiln/dsl/conv.hpp"
#include "kiln/dsl/dense.hpp"
#include "kiln/dsl/dropout.hpp"
#include "kiln/dsl/gate.hpp"
#include "kiln/dsl/input.hpp"
#include "kiln/dsl/layer_norm.hpp"
#include "kiln/dsl/lrn.hpp"
#include "kiln/dsl/pool.hpp"
#include "kiln/dsl/residual.hpp"
#include "kiln/dsl/softmax.hpp"

namespace kiln {

// One tensor of a net's weights: its unique name ("l3_conv.weights"), role, memory layout and
// Halide-order dims. `learned`: trained by gradient; false for the statistics training keeps
// alongside (batch norm's running mean and variance), which optimizers leave alone.
struct ParamSpec {
    std::string name, role, layout;
    std::vector<extent_t> dims;
    bool learned = true;
    extent_t elements() const {
        extent_t n = 1;
        for (extent_t d : dims) n *= d;
        return n;
    }
};

using LayerAttrs = std::variant<ConvAttrs, ActivationAttrs, PoolAttrs, GlobalAvgPoolAttrs, GlobalMaxPoolAttrs, DenseAttrs, SoftmaxAttrs,
                                DropoutAttrs, LrnAttrs, BatchNormAttrs, ConcatAttrs, ResidualAttrs, GateAttrs, ChannelSliceAttrs,
                                ChannelShuffleAttrs, LayerNormAttrs, ChannelScaleAttrs>;

struct LayerSpec {
    std::string name;  // identifier-safe: "l3_conv", "l5_b2_l1_conv"
    std::string path;  // as error messages give it: "3", "5/b2/1"
    LayerAttrs attrs;
    Shape in, out;
    std::vector<ParamSpec> params;
    extent_t param_count = 0, macs = 0;
    std::vector<std::vector<LayerSpec>> children;  // Concat: its branches; Residual: {body, shortcut}; Gate: {branch}

    const char* kind() const {
        return std::visit([](const auto& a) { return std::decay_t<decltype(a)>::kind; }, attrs);
    }
};

struct NetSpec {
    Shape input, output;
    std::vector<LayerSpec> layers;
    extent_t param_count = 0, macs = 0;
    bool strict = false;
};

// Every learned tensor of a list of layers, depth first, in declaration order.
inline void collect_params(const std::vector<LayerSpec>& layers, std::vector<ParamSpec>& out) {
    for (const auto& l : layers) {
        out.insert(out.end(), l.params.begin(), l.params.end());
        for (const auto& child : l.children) collect_params(child, out);
    }
}
inline std::vector<ParamSpec> all_params(const NetSpec& net) {
    std::vector<ParamSpec> out;
    collect_params(net.layers, out);
    return out;
}

inline std::string layer_name(const std::string& path, const char* kind) {
    std::string name = "l";
    for (char ch : path) name += ch == '/' ? '_' : ch;
    return name + "_" + kind;
}

// One simple layer from its attributes; throws std::invalid_argument naming the layer if a rule fails.
template <class Attrs>
LayerSpec make_layer_spec(const Attrs& attrs, Shape in, const std::string& path, bool strict = false) {
    const Check ck = attrs.check(in, strict);
    if (!ck.ok())
        throw std::invalid_argument("kiln: layer " + path + " (" + Attrs::kind + "): " + check_message(ck, in));
    LayerSpec s;
    s.path = path;
    s.name = layer_name(path, Attrs::kind);
    s.attrs = attrs;
    s.in = in;
    s.out = attrs.output(in);
    const ParamShapes ps = attrs.param_shapes(in);
    for (int t = 0; t < ps.count; ++t) {
        const ParamShape& p = ps.tensor[t];
        s.params.push_back(ParamSpec{s.name + "." + p.role, p.role, p.layout,
                                     std::vector<extent_t>(p.dims, p.dims + p.rank)});
    }
    s.param_count = ps.elements();
    s.macs = attrs.macs(in);
    return s;
}

}  // namespace kiln
