// Splitting a net into separately compiled segments (see segments.hpp).
#include "kiln/codegen/segments.hpp"

#include <variant>

namespace kiln::codegen {

namespace {

bool starts_segment(const LayerSpec& layer) {
    return std::holds_alternative<ConvAttrs>(layer.attrs) || !layer.children.empty();
}

// Gives `layer` and everything inside it the path prefix `to` instead of `from` ("9/b2/1" -> "1/b2/1"),
// and the names the DSL derives from a path.
void rename(LayerSpec& layer, const std::string& from, const std::string& to) {
    layer.path = to + layer.path.substr(from.size());
    layer.name = layer_name(layer.path, layer.kind());
    for (auto& p : layer.params) p.name = layer.name + "." + p.role;
    for (auto& branch : layer.children)
        for (auto& child : branch) rename(child, from, to);
}

}  // namespace

std::vector<Segment> split_into_segments(const NetSpec& net) {
    std::vector<Segment> segments;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        if (segments.empty() || starts_segment(net.layers[i])) {
            segments.emplace_back();
            segments.back().first = i;
        }
        Segment& s = segments.back();
        s.end = i + 1;
        std::vector<ParamSpec> originals;
        collect_params({net.layers[i]}, originals);
        for (const auto& p : originals) s.net_param_names.push_back(p.name);
        LayerSpec layer = net.layers[i];
        rename(layer, layer.path, std::to_string(i - s.first + 1));
        s.spec.layers.push_back(std::move(layer));
    }
    for (Segment& s : segments) {
        s.spec.input = s.spec.layers.front().in;
        s.spec.output = s.spec.layers.back().out;
        s.spec.strict = net.strict;
        for (const auto& l : s.spec.layers) s.spec.param_count += l.param_count, s.spec.macs += l.macs;
    }
    return segments;
}

}  // namespace kiln::codegen
