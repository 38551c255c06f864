// A printable summary of a described net, like Keras's model.summary(): one row per layer (branches
// indented under their Concat or Residual) with output shape, learned parameters and MACs.
#pragma once

#include <cstdio>
#include <ostream>
#include <string>

#include "kiln/dsl/layer_fields.hpp"
#include "kiln/dsl/layer_spec.hpp"
#include "kiln/dsl/overloaded.hpp"

namespace kiln {

// conv, activation, pool, global avg/max pool, dense, softmax, dropout, LRN, batch norm, concat, residual, gate,
// channel slice, channel shuffle, layer norm, channel scale
static_assert(layer_fields_are({9, 13, 8, 0, 0, 2, 1, 2, 8, 0, 0, 0, 0, 2, 1, 2, 0}),
              "a layer kind's fields changed: show the new field in layer_detail's row (or leave it out on purpose), then "
              "update these counts");

namespace detail {
inline std::string shape_text(Shape s) {
    return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

inline std::string layer_detail(const LayerSpec& l) {
    char buf[160] = "";
    // One overload per layer kind and no catch-all: a new kind must say what its row shows.
    std::visit(overloaded{[&](const ConvAttrs& c) {
                              const Pads r = c.rows(l.in), q = c.cols(l.in);
                              char groups[40] = "";
                              if (c.depthwise(l.in)) std::snprintf(groups, sizeof groups, " depthwise");
                              else if (c.groups > 1) std::snprintf(groups, sizeof groups, " %lld groups", (long long)c.groups);
                              std::snprintf(buf, sizeof buf, "%lldx%lld/%lldx%lld pad %lld,%lld,%lld,%lld%s%s%s%s",
                                            (long long)c.kernel.h, (long long)c.kernel.w, (long long)c.stride.h,
                                            (long long)c.stride.w, (long long)r.begin, (long long)r.end, (long long)q.begin,
                                            (long long)q.end, c.dilation.h > 1 || c.dilation.w > 1 ? " dilated" : "",
                                            c.flip ? " flipped" : "", c.bias ? "" : " no-bias", groups);
                          },
                          [&](const PoolAttrs& p) {
                              const Pads r = p.rows(l.in), q = p.cols(l.in);
                              std::snprintf(buf, sizeof buf, "%s %lldx%lld/%lldx%lld pad %lld,%lld,%lld,%lld%s%s",
                                            p.function == PoolFunction::max ? "max" : "avg", (long long)p.window.h,
                                            (long long)p.window.w, (long long)p.stride.h, (long long)p.stride.w,
                                            (long long)r.begin, (long long)r.end, (long long)q.begin, (long long)q.end,
                                            p.dilation.h > 1 || p.dilation.w > 1 ? " dilated" : "", p.ceil_mode ? " ceil" : "");
                          },
                          [&](const ActivationAttrs& a) {
                              if (a.function == ActivationFunction::clip)
                                  std::snprintf(buf, sizeof buf, "clip [%g, %g]", a.low, a.high);
                              else if (a.function == ActivationFunction::hard_sigmoid)
                                  std::snprintf(buf, sizeof buf, "hard_sigmoid %g x + %g", a.slope, a.offset);
                              else
                                  std::snprintf(buf, sizeof buf, "%s", a.name());
                          },
                          [&](const DropoutAttrs& d) { std::snprintf(buf, sizeof buf, "rate %.2f (identity)", d.rate()); },
                          // The shape and counts columns say all there is of these.
                          [](const GlobalAvgPoolAttrs&) {}, [](const GlobalMaxPoolAttrs&) {}, [](const DenseAttrs&) {},
                          [&](const SoftmaxAttrs& s) { std::snprintf(buf, sizeof buf, "%s", s.log ? "log" : ""); },
                          [](const LrnAttrs&) {}, [](const BatchNormAttrs&) {}, [](const ConcatAttrs&) {},
                          [](const ResidualAttrs&) {}, [](const GateAttrs&) {},
                          [&](const ChannelSliceAttrs& s) { std::snprintf(buf, sizeof buf, "channels [%lld, %lld)", (long long)s.begin, (long long)s.end); },
                          [&](const ChannelShuffleAttrs& s) { std::snprintf(buf, sizeof buf, "%lld groups", (long long)s.groups); },
                          [&](const LayerNormAttrs& a) { std::snprintf(buf, sizeof buf, "over channels, epsilon %g", a.epsilon()); },
                          [](const ChannelScaleAttrs&) {}},
               l.attrs);
    return buf;
}

inline void summary_rows(std::ostream& o, const std::vector<LayerSpec>& layers, int depth) {
    for (const auto& l : layers) {
        char line[256];
        const std::string label = std::string(std::size_t(depth) * 2, ' ') + l.path + " " + l.kind();
        std::snprintf(line, sizeof line, "%-22s %-34s %-14s %12lld %14lld\n", label.c_str(), layer_detail(l).c_str(),
                      shape_text(l.out).c_str(), (long long)l.param_count, (long long)l.macs);
        o << line;
        for (const auto& child : l.children) summary_rows(o, child, depth + 1);
    }
}
}  // namespace detail

inline void print_summary(std::ostream& o, const NetSpec& net) {
    char line[256];
    std::snprintf(line, sizeof line, "%-22s %-34s %-14s %12s %14s\n", "layer", "details", "output", "params", "MACs");
    o << line << std::string(100, '-') << "\n";
    std::snprintf(line, sizeof line, "%-22s %-34s %-14s %12d %14d\n", "0 input", "", detail::shape_text(net.input).c_str(),
                  0, 0);
    o << line;
    detail::summary_rows(o, net.layers, 0);
    o << std::string(100, '-') << "\n";
    std::snprintf(line, sizeof line, "total: %lld parameters, %lld multiply-accumulates per example\n",
                  (long long)net.param_count, (long long)net.macs);
    o << line;
}

}  // namespace kiln
