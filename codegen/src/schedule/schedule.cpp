// The schedule registry: name -> traits and function.
#include "kiln/codegen/schedule.hpp"

#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

namespace {
void schedule_default(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning) {
    if (target.has_gpu_feature()) schedule_cuda(net, target, machine, tuning);
    else schedule_fused(net, target, machine, tuning);
}

struct Entry {
    ScheduleTraits traits;
    void (*apply)(Lowered&, const Halide::Target&, const MachineModel&, const Tuning&);
};
// name, autoscheduled, takes_plans, fuses, per_segment, kiln_backward, needs_gpu, source
const Entry registry[] = {
    {{"default", false, false, false, false, false, false, "codegen/src/schedule/schedule.cpp"}, schedule_default},
    {{"fused", false, true, true, true, true, false, "codegen/src/schedule/fused.cpp"}, schedule_fused},
    {{"unfused", false, true, false, true, true, false, "codegen/src/schedule/unfused.cpp"}, schedule_unfused},
    {{"auto-mullapudi2016", true, false, false, false, false, false, "codegen/src/schedule/auto.cpp"}, schedule_mullapudi2016},
    {{"auto-adams2019", true, false, false, false, false, false, "codegen/src/schedule/auto.cpp"}, schedule_adams2019},
    {{"auto-li2018", true, false, false, false, false, false, "codegen/src/schedule/auto.cpp"}, schedule_li2018},
    {{"cuda", false, false, true, false, false, true, "codegen/src/schedule/cuda.cpp"}, schedule_cuda}};

const Entry& entry(const std::string& name) {
    for (const auto& e : registry)
        if (name == e.traits.name) return e;
    throw Error("unknown schedule '" + name + "'; valid schedules: " + comma_separated(schedule_names()));
}
}  // namespace

std::vector<std::string> schedule_names() {
    std::vector<std::string> names;
    for (const auto& e : registry) names.emplace_back(e.traits.name);
    return names;
}

std::vector<std::string> schedule_names(bool (*which)(const ScheduleTraits&)) {
    std::vector<std::string> names;
    for (const auto& e : registry)
        if (e.traits.name != "default" && which(e.traits)) names.emplace_back(e.traits.name);
    return names;
}

std::string comma_separated(const std::vector<std::string>& names) {
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ", ") + n;
    return joined;
}

const ScheduleTraits& schedule_traits(const std::string& name, bool gpu_target) {
    if (name == "default") return entry(gpu_target ? "cuda" : "fused").traits;
    return entry(name).traits;
}

void apply_schedule(Lowered& net, const std::string& name, const Halide::Target& target, const MachineModel& machine,
                    const Tuning& tuning) {
    const Entry& e = entry(name);
    net.schedule_name = name;
    net.machine = machine.describe();
    e.apply(net, target, machine, tuning);
}

}  // namespace kiln::codegen
