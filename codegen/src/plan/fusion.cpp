// Partition of the lowered layers into fusion groups (see fusion.hpp).
#include "kiln/codegen/fusion.hpp"

#include <algorithm>
#include <map>

namespace kiln::codegen {

namespace {

bool is_elementwise(const LayerSpec& s) {
    return std::holds_alternative<ActivationAttrs>(s.attrs) || std::holds_alternative<BatchNormAttrs>(s.attrs) ||
           std::holds_alternative<ChannelScaleAttrs>(s.attrs) ||
           std::holds_alternative<DropoutAttrs>(s.attrs);
}

// Walks one sequence (the top level or a branch), recursing into composite layers.
void partition(const std::vector<LayerSpec>& seq, const std::map<const LayerSpec*, std::size_t>& index,
               std::vector<FusionGroup>& out) {
    std::size_t previous = FusionGroup::none;
    for (std::size_t i = 0; i < seq.size(); ++i) {
        FusionGroup g;
        g.input_group = previous;
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
        previous = out.size() - 1;
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

bool is_pointwise_conv(const LayerSpec& layer) {
    const auto* conv = std::get_if<ConvAttrs>(&layer.attrs);
    return conv && conv->kernel.h == 1 && conv->kernel.w == 1 && conv->stride.h == 1 && conv->stride.w == 1 && conv->groups == 1 &&
           !pads_input(layer);
}

bool moves_channels_only(const LayerSpec& layer) {
    return std::holds_alternative<ChannelSliceAttrs>(layer.attrs) || std::holds_alternative<ChannelShuffleAttrs>(layer.attrs);
}

bool is_depthwise_conv(const LayerSpec& layer) {
    const auto* conv = std::get_if<ConvAttrs>(&layer.attrs);
    return conv && conv->depthwise(layer.in);
}

bool may_compute_inside(const std::vector<const LayerSpec*>& layers, const LayerSpec& next) {
    if (layers.empty()) return false;
    const bool depthwise_then_pointwise = is_depthwise_conv(*layers.front()) && is_pointwise_conv(next);
    const bool pointwise_then_depthwise = is_pointwise_conv(*layers.front()) && is_depthwise_conv(next);
    if (!depthwise_then_pointwise && !pointwise_then_depthwise) return false;
    return std::all_of(layers.begin() + 1, layers.end(), [](const LayerSpec* l) { return is_elementwise(*l); });
}

std::optional<FusionGroup> group_to_compute_inside(const Lowered& net, const FusionGroup& group) {
    const std::vector<FusionGroup> groups = fusion_groups(net);
    const auto same = std::find_if(groups.begin(), groups.end(), [&](const FusionGroup& g) { return g.layers == group.layers; });
    if (same == groups.end() || !same->starts_with_conv || same->ends_with_pool) return std::nullopt;
    const std::size_t index = std::size_t(same - groups.begin());
    const auto next = std::find_if(groups.begin(), groups.end(), [&](const FusionGroup& g) { return g.input_group == index; });
    if (next == groups.end() || !next->starts_with_conv || next->ends_with_pool) return std::nullopt;
    std::vector<const LayerSpec*> layers;
    for (std::size_t l : group.layers) layers.push_back(net.layers[l].spec);
    if (!may_compute_inside(layers, *net.layers[next->first()].spec)) return std::nullopt;
    return *next;
}

bool is_last_layer(const Lowered& net, std::size_t layer) { return layer + 1 == net.layers.size(); }

ConvGroupStages conv_group_stages(Lowered& net, const FusionGroup& group) {
    LayerStages& conv_layer = net.layers[group.first()];
    ConvGroupStages s;
    s.conv = conv_layer.output;
    s.reduction = conv_layer.rdoms.front();
    for (const auto& p : conv_layer.spec->params)
        if (p.role == "weights") {
            s.weights = net.params.at(p.name);
            s.weights_name = p.name;
            const auto packed = net.packed_weights.find(p.name);
            if (packed != net.packed_weights.end()) s.packed_weight_block = packed->second.block;
        }
    s.zero_extended_weights = conv_layer.zero_extended_weights;
    s.winograd_tile = conv_layer.winograd_tile;
    s.winograd_input = conv_layer.winograd_input;
    s.winograd_products = conv_layer.winograd_products;
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
