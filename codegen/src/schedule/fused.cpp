// The `fused` CPU schedule (see schedule.hpp): each conv group becomes one loop nest, and a
// depthwise group whose output would not stay in cache is computed inside the pointwise group
// that reads it (ConvGroupPlan::inside_consumer). Channel slices and shuffles are inlined.
#include "schedule/cpu_parts.hpp"
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

void schedule_fused(Lowered& net, const Halide::Target&, const MachineModel& machine, const Tuning& tuning) {
    const std::vector<FusionGroup> groups = fusion_groups(net);
    const std::size_t none = FusionGroup::none;
    std::vector<ConvGroupPlan> plans(groups.size());
    std::vector<std::string> sources(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g)
        if (groups[g].starts_with_conv) plans[g] = detail::choose_conv_group_plan(net, groups[g], machine, tuning, sources[g]);
    // The group each group is computed inside, if its plan says so and the consumer's tasks read
    // whole rows (a tuned consumer plan may not).
    std::vector<std::size_t> consumer(groups.size(), none);
    std::vector<std::string> stored_instead(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::size_t p = groups[g].input_group;
        if (p == none || !groups[g].starts_with_conv || !plans[p].inside_consumer) continue;
        if (!plans[g].tasks_read_whole_rows()) {
            stored_instead[p] = "; stored instead: " + net.layers[groups[g].first()].spec->name +
                                "'s plan does not read whole rows per task, so each row would be computed more than once";
            continue;
        }
        consumer[p] = g;
        net.computed_inside_next_group.push_back(groups[p].last());
    }
    for (std::size_t g = 0; g < groups.size(); ++g)
        if (groups[g].starts_with_conv) net.schedule_plan += detail::plan_line(net, groups[g], plans[g], sources[g]) + stored_instead[g] + "\n";
    // Consumers first: a group computed inside another is placed at that one's loops.
    std::vector<detail::ConvGroupLoops> loops(groups.size());
    for (std::size_t g = groups.size(); g-- > 0;) {
        if (!groups[g].starts_with_conv) {
            // A channel slice or shuffle is read through by its consumer: an index, not a copy.
            const std::size_t layer = groups[g].first();
            if (moves_channels_only(*net.layers[layer].spec) && !is_last_layer(net, layer)) continue;
            detail::schedule_layer_at_root(net, layer, machine);
            continue;
        }
        loops[g] = detail::schedule_conv_group(net, groups[g], plans[g], consumer[g] == none ? nullptr : &loops[consumer[g]]);
    }
    // A conv group that ends the net schedules Lowered::output itself.
    if (!groups.back().starts_with_conv) detail::schedule_net_output(net, machine);
}

}  // namespace kiln::codegen
