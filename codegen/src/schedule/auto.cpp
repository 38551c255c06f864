// Halide 14's autoschedulers, loaded as plugins. Every input and the output carry estimates from
// the compile-time shapes (lower.cpp), so the autoschedulers never see a missing bound.
#include <cstdlib>
#include <mutex>
#include <set>

#include "kiln/codegen/schedule.hpp"
#include "schedule/autoschedule.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;

namespace detail {

namespace {

// The plugin's full path: the directory comes from Halide's CMake package at build time and can be
// overridden at run time (a relocated install).
std::string plugin_path(const std::string& file) {
    const char* dir = std::getenv("KILN_HALIDE_PLUGIN_DIR");
    return std::string(dir ? dir : KILN_HALIDE_PLUGIN_DIR) + "/" + file;
}

void load_once(const std::string& file) {
    static std::mutex mutex;
    static std::set<std::string> loaded;
    std::lock_guard<std::mutex> lock(mutex);
    if (loaded.count(file)) return;
    try {
        load_plugin(plugin_path(file));
    } catch (const Halide::Error& e) {
        throw Error("could not load Halide autoscheduler plugin " + plugin_path(file) + " (set KILN_HALIDE_PLUGIN_DIR): " +
                    e.what());
    }
    loaded.insert(file);
}

}  // namespace

std::string autoschedule(Pipeline& pipeline, const Target& target, const std::string& schedule, int cores) {
    std::string plugin_file, name;
    int parallelism = cores;
    if (schedule == "auto-mullapudi2016") {
        plugin_file = "libautoschedule_mullapudi2016.so", name = "Mullapudi2016";
    } else if (schedule == "auto-adams2019") {
        plugin_file = "libautoschedule_adams2019.so", name = "Adams2019";
        // Halide 14's Adams2019 reads its search settings from the environment only. Its default
        // beam of 32 takes minutes per net; a greedy pass (beam 1) takes seconds. HL_BEAM_SIZE still wins.
        setenv("HL_BEAM_SIZE", "1", /*overwrite=*/0);
        setenv("HL_NUM_PASSES", "1", 0);
    } else if (schedule == "auto-li2018") {
        plugin_file = "libautoschedule_li2018.so", name = "Li2018";
        // With parallelism > 1, Li2018 rfactors small reductions (a dense layer's) into atomic vector
        // stores that Halide 14 cannot compile ("Atomic predicated store is not supported",
        // halide/Halide#8280). At 1 it still parallelizes the outer pure loops.
        parallelism = 1;
    } else {
        throw Error("'" + schedule + "' is not an autoscheduler (" +
                    comma_separated(schedule_names([](const ScheduleTraits& t) { return t.autoscheduled; })) + ")");
    }
    load_once(plugin_file);
    MachineParams params = MachineParams::generic();
    params.parallelism = parallelism;
    try {
        return pipeline.auto_schedule(name, target, params).schedule_source;
    } catch (const Halide::Error& e) {
        throw Error("the " + name + " autoscheduler failed: " + e.what());
    }
}

}  // namespace detail

namespace {

void autoschedule(Lowered& net, const Target& target, const std::string& schedule, int cores) {
    Pipeline pipeline(net.output);
    net.schedule_source = detail::autoschedule(pipeline, target, schedule, cores);
}

}  // namespace

void schedule_mullapudi2016(Lowered& net, const Target& target, const MachineModel& machine, const Tuning&) {
    if (target.has_gpu_feature()) throw Error("auto-mullapudi2016 makes CPU schedules only; use auto-li2018 or cuda for a GPU target");
    autoschedule(net, target, "auto-mullapudi2016", machine.cores);
}

void schedule_adams2019(Lowered& net, const Target& target, const MachineModel& machine, const Tuning&) {
    if (target.has_gpu_feature()) throw Error("auto-adams2019 in Halide 14 makes CPU schedules only; use auto-li2018 or cuda for a GPU target");
    autoschedule(net, target, "auto-adams2019", machine.cores);
}

void schedule_li2018(Lowered& net, const Target& target, const MachineModel& machine, const Tuning&) {
    autoschedule(net, target, "auto-li2018", machine.cores);
}

}  // namespace kiln::codegen
