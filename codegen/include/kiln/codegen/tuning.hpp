// Measured plans: per conv group, the plan that ran fastest on a machine (kiln-tune, tune.hpp),
// keyed by the machine and the group's shapes, so repeated blocks share one entry. The CPU
// schedules use a matching entry instead of the cost model's plan and say which they used
// (Lowered::schedule_plan). A tuning file is JSON, written to be read:
//
//   {"kiln_tuning": 1,
//    "entries": [{"key": "machine zen4 16x32 L2 1 MiB 2 cores | batch 1 | conv 24x24x3 -> ...",
//                 "plan": {"loop": "register_tiles", "vector_lanes": 16, "tile_vectors": 2, ...},
//                 "ms": 0.031, "cost_model_ms": 0.034}]}
#pragma once

#include <map>
#include <string>

#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/machine_model.hpp"

namespace kiln::codegen {

struct TunedPlan {
    ConvGroupPlan plan;
    double ms = 0;             // the plan's measured time for the group alone
    double cost_model_ms = 0;  // the cost model's plan, measured in the same run
};

struct Tuning {
    std::map<std::string, TunedPlan> entries;  // by tuning_key

    const TunedPlan* find(const std::string& key) const;

    // Throws kiln::Error naming the file and what is wrong (not JSON, unknown fields, a plan field
    // missing or out of range); nothing is half-loaded.
    static Tuning load(const std::string& path);
    void save(const std::string& path) const;
};

// The machine properties a plan depends on, and the group's layers with every shape and
// attribute its plan depends on, and the batch: equal keys mean one plan serves both groups. A
// group that may be computed inside the next (fusion.hpp: group_to_compute_inside) adds that
// group's layers ("| then | conv ..."): its plan was measured with them.
std::string tuning_key(const MachineModel& machine, const Lowered& net, const FusionGroup& group);

}  // namespace kiln::codegen
