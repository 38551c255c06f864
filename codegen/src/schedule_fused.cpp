// The `fused` CPU schedule (see schedule.hpp): each conv group becomes one loop nest.
#include "cpu_schedule_parts.hpp"
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

void schedule_fused(Lowered& net, const Halide::Target& target) {
    const std::vector<FusionGroup> groups = fusion_groups(net);
    for (const auto& group : groups) {
        if (group.starts_with_conv) {
            detail::schedule_conv_group(net, group, target);
        } else {
            detail::schedule_layer_at_root(net, group.first(), target);
        }
    }
    // A conv group that ends the net schedules Lowered::output itself.
    if (!groups.back().starts_with_conv) detail::schedule_net_output(net, target);
}

}  // namespace kiln::codegen
