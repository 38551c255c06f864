// Splitting a net into separately compiled segments (see segments.hpp).
#include "kiln/codegen/segments.hpp"

#include <algorithm>
#include <variant>

#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

namespace {

bool is_concat(const LayerSpec& layer) { return std::holds_alternative<ConcatAttrs>(layer.attrs); }

// Concats whose branches each have layers are split branch by branch; any other layer with
// children (a Residual, a Concat passing its input through) is one segment.
bool splits_branches(const LayerSpec& layer) {
    return is_concat(layer) &&
           std::none_of(layer.children.begin(), layer.children.end(), [](const auto& branch) { return branch.empty(); });
}

bool starts_segment(const LayerSpec& layer) {
    return std::holds_alternative<ConvAttrs>(layer.attrs) || !layer.children.empty();
}

// Gives `layer` and everything inside it the path prefix `to` instead of `from` ("9/b2/1" -> "1"),
// and the names the DSL derives from a path.
void rename(LayerSpec& layer, const std::string& from, const std::string& to) {
    layer.path = to + layer.path.substr(from.size());
    layer.name = layer_name(layer.path, layer.kind());
    for (auto& p : layer.params) p.name = layer.name + "." + p.role;
    for (auto& branch : layer.children)
        for (auto& child : branch) rename(child, from, to);
}

class Splitter {
  public:
    explicit Splitter(SegmentGraph& graph) : graph_(graph) {}

    // Splits `layers`, which read tensor `input`; the last segment writes channels from `offset`
    // of tensor `output`. Returns nothing: every segment is in the graph.
    void split(const std::vector<LayerSpec>& layers, std::size_t input, std::size_t output, std::size_t offset) {
        std::size_t current = input;
        std::vector<const LayerSpec*> open;  // the layers of the segment being gathered
        const auto close = [&](bool last) {
            if (open.empty()) return;
            const std::size_t to = last ? output : new_tensor(open.back()->out);
            add_segment(open, current, to, last ? offset : 0);
            current = to;
            open.clear();
        };
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const LayerSpec& layer = layers[i];
            const bool last = i + 1 == layers.size();
            if (splits_branches(layer)) {
                close(false);
                const std::size_t concat = last ? output : new_tensor(layer.out);
                std::size_t channels = last ? offset : 0;
                for (const auto& branch : layer.children) {
                    split(branch, current, concat, channels);
                    channels += std::size_t(branch.back().out.c);
                }
                current = concat;
                continue;
            }
            // A pointwise conv stays with the depthwise group before it, and a depthwise conv with
            // the pointwise group before it, which the schedule may compute inside its tiles
            // (fusion.hpp): the segment's last group, from its last conv.
            // And a slice or shuffle of channels stays with the layer that reads through it.
            const bool only_moved = !open.empty() && std::all_of(open.begin(), open.end(), [](const LayerSpec* l) { return moves_channels_only(*l); });
            const auto last_conv = std::find_if(open.rbegin(), open.rend(), [](const LayerSpec* l) { return std::holds_alternative<ConvAttrs>(l->attrs); });
            const std::vector<const LayerSpec*> last_group(last_conv == open.rend() ? open.end() : std::prev(last_conv.base()), open.end());
            if (starts_segment(layer) && !may_compute_inside(last_group, layer) && !only_moved) close(false);
            open.push_back(&layer);
        }
        close(true);
    }

  private:
    std::size_t new_tensor(Shape shape) {
        graph_.tensors.push_back(shape);
        return graph_.tensors.size() - 1;
    }

    void add_segment(const std::vector<const LayerSpec*>& layers, std::size_t input, std::size_t output, std::size_t offset) {
        Segment s;
        s.input = input, s.output = output, s.channel_offset = offset;
        s.first_layer = layers.front()->name, s.last_layer = layers.back()->name;
        for (std::size_t k = 0; k < layers.size(); ++k) {
            std::vector<ParamSpec> originals;
            collect_params({*layers[k]}, originals);
            for (const auto& p : originals) s.net_param_names.push_back(p.name);
            LayerSpec layer = *layers[k];
            rename(layer, layer.path, std::to_string(k + 1));
            s.spec.param_count += layer.param_count;
            s.spec.macs += layer.macs;
            s.spec.layers.push_back(std::move(layer));
        }
        s.spec.input = s.spec.layers.front().in;
        s.spec.output = s.spec.layers.back().out;
        graph_.segments.push_back(std::move(s));
    }

    SegmentGraph& graph_;
};

}  // namespace

SegmentGraph split_into_segments(const NetSpec& net) {
    SegmentGraph graph;
    graph.tensors.push_back(net.input);
    // The output tensor goes last once every intermediate is known: split into a placeholder index.
    constexpr std::size_t output_placeholder = std::size_t(-1);
    Splitter(graph).split(net.layers, 0, output_placeholder, 0);
    graph.tensors.push_back(net.output);
    for (Segment& s : graph.segments) {
        if (s.output == output_placeholder) s.output = graph.tensors.size() - 1;
        s.spec.strict = net.strict;
    }
    return graph;
}

SegmentGraph as_one_segment(const NetSpec& net) {
    SegmentGraph graph;
    graph.tensors = {net.input, net.output};
    Segment whole;
    whole.spec = net;
    for (const auto& p : all_params(net)) whole.net_param_names.push_back(p.name);
    whole.input = 0, whole.output = 1;
    whole.first_layer = net.layers.front().name, whole.last_layer = net.layers.back().name;
    graph.segments.push_back(std::move(whole));
    return graph;
}

bool splits_by_default(const std::string& schedule, bool gpu_target) {
    return schedule_traits(schedule, gpu_target).per_segment;
}

}  // namespace kiln::codegen
