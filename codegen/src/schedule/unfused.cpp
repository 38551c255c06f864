// The `unfused` CPU schedule (see schedule.hpp): every layer stored whole before the next runs.
#include "schedule/cpu_parts.hpp"
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

void schedule_unfused(Lowered& net, const Halide::Target&, const MachineModel& machine, const Tuning& tuning) {
    bool output_scheduled = false;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        if (std::holds_alternative<ConvAttrs>(net.layers[i].spec->attrs)) {
            detail::plan_and_schedule_conv_group(net, conv_alone(i), machine, tuning);
            output_scheduled |= is_last_layer(net, i);
        } else {
            detail::schedule_layer_at_root(net, i, machine);
        }
    }
    if (!output_scheduled) detail::schedule_net_output(net, machine);
}

}  // namespace kiln::codegen
