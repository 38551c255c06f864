// Halide 14's autoschedulers as plugins, for any pipeline: the inference schedules
// (schedule_auto.cpp) and the training pipeline (train.cpp) both go through here.
#pragma once

#include <Halide.h>

#include <string>

namespace kiln::codegen::detail {

// Loads the plugin `plugin_file` once per process (from Halide's plugin directory, or
// KILN_HALIDE_PLUGIN_DIR) and schedules `pipeline` with the autoscheduler `name`; returns the
// schedule source it produced. Throws kiln::Error when the plugin or the autoscheduler fails.
std::string autoschedule(Halide::Pipeline& pipeline, const Halide::Target& target, const std::string& plugin_file,
                         const std::string& name, int parallelism);

}  // namespace kiln::codegen::detail
