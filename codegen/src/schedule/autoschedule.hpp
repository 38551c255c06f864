// Halide 14's autoschedulers as plugins, for any pipeline: the inference schedules
// (schedule_auto.cpp) and the training pipeline (train.cpp) both go through here.
#pragma once

#include <Halide.h>

#include <string>

namespace kiln::codegen::detail {

// Schedules `pipeline` with the autoscheduler kiln calls `schedule` (an autoscheduled one, schedule.hpp),
// planning for `cores` parallel tasks, its plugin loaded once per process (from Halide's plugin
// directory, or KILN_HALIDE_PLUGIN_DIR); returns the schedule source it produced. Throws
// kiln::Error for another name, or when the plugin or the autoscheduler fails.
std::string autoschedule(Halide::Pipeline& pipeline, const Halide::Target& target, const std::string& schedule, int cores);

}  // namespace kiln::codegen::detail
