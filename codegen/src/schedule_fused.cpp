// The `fused` CPU schedule (see schedule.hpp): each conv group becomes one loop nest.
#include "cpu_schedule_parts.hpp"
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

void schedule_fused(Lowered& net, const Halide::Target& target) {
    for (const auto& group : fusion_groups(net)) {
        if (group.starts_with_conv) {
            detail::schedule_conv_group(net, group, target);
        } else {
            detail::schedule_layer_at_root(net, group.first(), target);
        }
    }
    if (!(fusion_groups(net).back().starts_with_conv)) detail::schedule_net_output(net, target);
}

}  // namespace kiln::codegen
