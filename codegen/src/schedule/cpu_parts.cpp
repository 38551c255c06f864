// CPU schedule pieces (see cpu_parts.hpp).
#include "schedule/cpu_parts.hpp"

#include <algorithm>

#include "kiln/runtime/error.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {

// A dense layer reads each weight once a call, so at batch 1 it runs as fast as its weights stream
// in: GoogLeNet's 4 MB classifier ran as one task, one vector of units at a time, its 1024 FMAs a
// chain each waiting on the last (0.45-0.50 ms). Tiles of 4 vectors of units accumulate over the
// whole input in registers (4 independent chains, the row's 4 weight vectors one full line each),
// and the tiles run in parallel.
void schedule_dense(Lowered& net, const LayerStages& l, const MachineModel& machine) {
    const int vec = machine.vector_lanes, tile = 4 * vec;
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    Func dense = l.output;
    const RDom& r = l.rdoms.front();
    Var cb(dense.name() + "_cb"), ci(dense.name() + "_ci"), cv(dense.name() + "_cv"), cl(dense.name() + "_cl"), t(dense.name() + "_t");
    dense.compute_root().vectorize(c, vec, TailStrategy::GuardWithIf);
    dense.update()
        .split(c, cb, ci, tile, TailStrategy::GuardWithIf)
        .split(ci, cv, cl, vec, TailStrategy::GuardWithIf)
        .reorder(cl, cv, r.x, r.y, r.z, x, cb, y, n)
        .vectorize(cl)
        .unroll(cv)
        .fuse(cb, y, t)
        .fuse(t, n, t)
        .parallel(t);
}

}  // namespace

void schedule_layer_at_root(Lowered& net, std::size_t layer, const MachineModel& machine) {
    const int vec = machine.vector_lanes;
    if (std::holds_alternative<DenseAttrs>(net.layers[layer].spec->attrs)) return schedule_dense(net, net.layers[layer], machine);
    auto root = [&](Func f) {
        f.compute_root();
        if (f.dimensions() != 4) return;  // softmax's per-pixel max and sum stay scalar
        Var t(f.name() + "_t");
        auto parallel_vector = [&](auto stage) {
            stage.fuse(net.y, net.n, t).parallel(t).vectorize(net.c, vec, TailStrategy::GuardWithIf);
        };
        parallel_vector(f);
        for (int u = 0; u < f.num_update_definitions(); ++u) parallel_vector(f.update(u));
    };
    LayerStages& l = net.layers[layer];
    // Softmax's exps are read once for the sum and once for the result: store them rather than
    // evaluate each exp C + 1 times.
    const bool store_every_stage = std::holds_alternative<SoftmaxAttrs>(l.spec->attrs);
    for (auto& f : l.funcs)
        if (f.has_update_definition() || (store_every_stage && f.name() != l.output.name())) root(f);
    const bool inlined_into_output = is_last_layer(net, layer) && !l.output.has_update_definition();
    if (!l.output.has_update_definition() && !inlined_into_output) root(l.output);
}

void schedule_net_output(Lowered& net, const MachineModel& machine) {
    Var t("output_t");
    net.output.compute_root()
        .fuse(net.y, net.n, t)
        .parallel(t)
        .vectorize(net.c, machine.vector_lanes, TailStrategy::GuardWithIf);
}

ConvGroupPlan choose_conv_group_plan(const Lowered& net, const FusionGroup& group, const MachineModel& machine, const Tuning& tuning,
                                     std::string& source) {
    const TunedPlan* found = tuning.find(tuning_key(machine, net, group));
    // A Winograd plan tuned for prepared weights does not apply to a net that reads its weights as
    // they are: the cost model plans that one.
    const bool needs_preparing = found && found->plan.loop == ConvGroupPlan::Loop::winograd &&
                                 !winograd_may_compute(net, group, found->plan.vector_lanes);
    const TunedPlan* tuned = needs_preparing ? nullptr : found;
    const ConvGroupPlan cost_model = plan_conv_group(net, group, machine);
    const ConvGroupPlan plan = tuned ? tuned->plan : cost_model;
    const std::string& layer = net.layers[group.first()].spec->name;
    // The target's vectors, or the narrower ones the cost model takes for these channels; a file
    // written before kiln narrowed them holds the target's, and such a plan still schedules.
    if (tuned && plan.vector_lanes != machine.vector_lanes && plan.vector_lanes != cost_model.vector_lanes)
        throw Error("tuned plan for layer " + layer + " uses " + std::to_string(plan.vector_lanes) + "-lane vectors, the target " +
                    std::to_string(machine.vector_lanes) + (cost_model.vector_lanes != machine.vector_lanes
                                                                ? " (or " + std::to_string(cost_model.vector_lanes) + " for these channels)"
                                                                : std::string()));
    if (tuned && plan.batch != std::max(1, net.batch_estimate))
        throw Error("tuned plan for layer " + layer + " was made for batch " + std::to_string(plan.batch) + ", the net plans for " +
                    std::to_string(std::max(1, net.batch_estimate)));
    source = needs_preparing ? "cost model; the tuned Winograd plan needs prepared weights" : !tuned ? "cost model" : plan == cost_model ? "tuned: the cost model's plan measured best" : "tuned";
    return plan;
}

std::string plan_line(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan, const std::string& source) {
    std::string line = net.layers[group.first()].spec->name;
    if (group.fused()) line += ".." + net.layers[group.last()].spec->name;
    return line + ": " + plan.describe() + " (" + source + ")";
}

void plan_and_schedule_conv_group(Lowered& net, const FusionGroup& group, const MachineModel& machine, const Tuning& tuning) {
    std::string source;
    ConvGroupPlan plan = choose_conv_group_plan(net, group, machine, tuning, source);
    plan.inside_consumer = 0;  // every group stored: what this schedules (`unfused`) does
    net.schedule_plan += plan_line(net, group, plan, source) + "\n";
    schedule_conv_group(net, group, plan);
}

}  // namespace kiln::codegen::detail
