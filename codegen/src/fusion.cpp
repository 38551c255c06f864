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

}  // namespace kiln::codegen
