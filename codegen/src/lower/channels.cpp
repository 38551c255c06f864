// Layers that only move channels (dsl/channels.hpp): each output value is one input value.
#include "lower/lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

LayerStages lower_channel_slice(const LayerInput& li, const ChannelSliceAttrs& a) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Func f(li.name("slice"));
    f(c, x, y, n) = li.in(c + int(a.begin), x, y, n);
    return single(f);
}

LayerStages lower_channel_shuffle(const LayerInput& li, const ChannelShuffleAttrs& a) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    const int groups = int(a.groups), per_group = int(li.spec.in.c / a.groups);
    Func f(li.name("shuffle"));
    // Clamped so that bounds inference sees the input's channels, not the arithmetic's range.
    f(c, x, y, n) = li.in(clamp(c % groups * per_group + c / groups, 0, int(li.spec.in.c) - 1), x, y, n);
    return single(f);
}

}  // namespace kiln::codegen::detail
