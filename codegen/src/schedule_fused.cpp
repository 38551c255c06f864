// The `fused` CPU schedule (see schedule.hpp): each conv group becomes one loop nest.
#include "cpu_schedule_parts.hpp"
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

void schedule_fused(Lowered& net, const Halide::Target&, const MachineModel& machine, const Tuning& tuning) {
    const std::vector<FusionGroup> groups = fusion_groups(net);
    for (const auto& group : groups) {
        if (group.starts_with_conv) {
            detail::plan_and_schedule_conv_group(net, group, machine, tuning);
        } else {
            detail::schedule_layer_at_root(net, group.first(), machine);
        }
    }
    // A conv group that ends the net schedules Lowered::output itself.
    if (!groups.back().starts_with_conv) detail::schedule_net_output(net, machine);
}

}  // namespace kiln::codegen
