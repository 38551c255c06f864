// The schedule registry: name -> function.
#include "kiln/codegen/schedule.hpp"

#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

namespace {
void schedule_default(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning) {
    if (target.has_gpu_feature()) schedule_cuda(net, target, machine, tuning);
    else schedule_fused(net, target, machine, tuning);
}

struct Entry {
    const char* name;
    void (*apply)(Lowered&, const Halide::Target&, const MachineModel&, const Tuning&);
};
const Entry registry[] = {{"default", schedule_default},
                          {"fused", schedule_fused},
                          {"unfused", schedule_unfused},
                          {"auto-mullapudi2016", schedule_mullapudi2016},
                          {"auto-adams2019", schedule_adams2019},
                          {"auto-li2018", schedule_li2018},
                          {"cuda", schedule_cuda}};
}  // namespace

std::vector<std::string> schedule_names() {
    std::vector<std::string> names;
    for (const auto& e : registry) names.push_back(e.name);
    return names;
}

void apply_schedule(Lowered& net, const std::string& name, const Halide::Target& target, const MachineModel& machine,
                    const Tuning& tuning) {
    for (const auto& e : registry) {
        if (name != e.name) continue;
        net.schedule_name = name;
        net.machine = machine.describe();
        return e.apply(net, target, machine, tuning);
    }
    std::string valid;
    for (const auto& n : schedule_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw Error("unknown schedule '" + name + "'; valid schedules: " + valid);
}

}  // namespace kiln::codegen
