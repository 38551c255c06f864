// Partition of the lowered layers into fusion groups (see fusion.hpp).
#include "kiln/codegen/fusion.hpp"

#include <map>

namespace kiln::codegen {

namespace {

bool is_elementwise(const LayerSpec& s) {
    return std::holds_alternative<ActivationAttrs>(s.attrs) || std::holds_alternative<BatchNormAttrs>(s.attrs) ||
           std::holds_alternative<DropoutAttrs>(s.attrs);
}

// Walks one sequence (the top level or a branch), recursing into composite layers.
void partition(const std::vector<LayerSpec>& seq, const std::map<const LayerSpec*, std::size_t>& index,
               std::vector<FusionGroup>& out) {
    for (std::size_t i = 0; i < seq.size(); ++i) {
        FusionGroup g;
        g.layers.push_back(index.at(&seq[i]));
        if (std::holds_alternative<ConvAttrs>(seq[i].attrs)) {
            g.starts_with_conv = true;
            while (i + 1 < seq.size() && is_elementwise(seq[i + 1])) g.layers.push_back(index.at(&seq[++i]));
            if (i + 1 < seq.size() && std::holds_alternative<PoolAttrs>(seq[i + 1].attrs)) {
                g.layers.push_back(index.at(&seq[++i]));
                g.ends_with_pool = true;
            }
        } else {
            for (const auto& branch : seq[i].children) partition(branch, index, out);
        }
        out.push_back(std::move(g));
    }
}

}  // namespace

std::vector<FusionGroup> fusion_groups(const Lowered& net) {
    std::map<const LayerSpec*, std::size_t> index;
    for (std::size_t i = 0; i < net.layers.size(); ++i) index[net.layers[i].spec] = i;
    std::vector<FusionGroup> out;
    partition(net.spec.layers, index, out);
    return out;
}

bool is_last_layer(const Lowered& net, std::size_t layer) { return layer + 1 == net.layers.size(); }

ConvGroupStages conv_group_stages(Lowered& net, const FusionGroup& group) {
    LayerStages& conv_layer = net.layers[group.first()];
    ConvGroupStages s;
    s.conv = conv_layer.output;
    s.reduction = conv_layer.rdoms.front();
    for (const auto& p : conv_layer.spec->params)
        if (p.role == "weights") s.weights = net.params.at(p.name);
    s.skips_padded_columns = skips_padded_columns(*conv_layer.spec);
    s.conv_input = conv_layer.padded_input;  // undefined when the conv pads nothing
    s.pool = group.ends_with_pool ? &net.layers[group.last()] : nullptr;
    const std::size_t elementwise_end = group.layers.size() - (s.pool ? 1 : 0);
    Halide::Func last_elementwise;
    if (elementwise_end > 1) last_elementwise = net.layers[group.layers[elementwise_end - 1]].output;
    const bool last = is_last_layer(net, group.last());
    if (s.pool) {
        s.tiled = last_elementwise.defined() ? last_elementwise : s.conv.in();
        s.stored = last ? net.output : s.pool->output;
    } else {
        s.stored = last ? net.output : last_elementwise.defined() ? last_elementwise : s.conv.in();
        s.tiled = s.stored;
    }
    return s;
}

FusionGroup conv_alone(std::size_t layer) {
    FusionGroup alone;
    alone.layers = {layer};
    alone.starts_with_conv = true;
    return alone;
}

}  // namespace kiln::codegen
