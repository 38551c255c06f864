// Schedules are chosen by name and applied to a Lowered net from outside its algorithm.
#pragma once

#include <string>
#include <vector>

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen {

// The names apply_schedule accepts.
std::vector<std::string> schedule_names();

// Applies the named schedule for `target`; an unknown name throws kiln::Error listing the valid ones.
void apply_schedule(Lowered& net, const std::string& name, const Halide::Target& target);

// "default": every layer output computed at root, its pure and update loops parallel over rows and
// vectorized over channels; helper stages (padding, squares, exps) inlined. Simple and correct;
// the fused and tuned schedules build on the same handles.
void schedule_default(Lowered& net, const Halide::Target& target);

}  // namespace kiln::codegen
