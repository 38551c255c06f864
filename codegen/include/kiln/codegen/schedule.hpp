// Schedules are chosen by name and applied to a Lowered net from outside its algorithm.
//
//   unfused             every layer computed at root: the per-layer baseline a framework runs.
//                       Convs get the same register-tiled inner loops as `fused`, so the A/B
//                       between the two measures fusion alone.
//   fused               conv (+ element-wise layers) + pool computed together: the pre-pool tensor
//                       lives only in a sliding window of rows, conv accumulators in registers.
//   auto-mullapudi2016, auto-adams2019, auto-li2018
//                       Halide 14's autoschedulers, fed the compile-time shapes as estimates.
//                       auto-li2018 also schedules for a CUDA target.
//   cuda                blocks over output rows, threads over channels and columns, the fusion
//                       group's intermediate stages in shared memory; needs a target with `cuda`.
//   default             `cuda` on a CUDA target, `fused` otherwise.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/machine_model.hpp"
#include "kiln/codegen/tuning.hpp"

namespace kiln::codegen {

// The names apply_schedule accepts.
std::vector<std::string> schedule_names();

// What a schedule is, said once: every part of kiln that treats schedules differently (JIT, AOT,
// segments, tuning, training, inspection, the tools) asks these instead of comparing names.
struct ScheduleTraits {
    std::string_view name;
    bool autoscheduled;  // a Halide autoscheduler chooses the loops: checked against `unfused`, tuned for one batch
    bool takes_plans;    // conv groups follow ConvGroupPlans: tuning files apply and kiln-tune tunes it
    bool fuses;          // a conv group (conv, element-wise layers, pool) is one loop nest
    bool per_segment;    // compiled one pipeline per segment unless asked otherwise (segments.hpp)
    bool kiln_backward;  // trains with kiln's own backward pass; autoscheduled ones train through Halide's autodiff
    bool needs_gpu;      // runs on a GPU target only
    std::string_view source;  // the file that writes it (kiln-inspect names it)
};

// The names of the schedules whose traits pass `which` (`default` never does), for a tool's choices
// and for messages; and names joined with commas.
std::vector<std::string> schedule_names(bool (*which)(const ScheduleTraits&));
std::string comma_separated(const std::vector<std::string>& names);

// The traits of the named schedule, `default` resolved for a GPU target or not. An unknown name
// throws kiln::Error listing the valid ones.
const ScheduleTraits& schedule_traits(const std::string& name, bool gpu_target = false);

// Applies the named schedule for `target` on `machine` (machine_model.hpp: the only source of what a
// schedule knows of the CPU); `fused` and `unfused` take a conv group's plan from `tuning` where it
// has one for the group (tuning.hpp). An unknown name, a schedule the target cannot run (cuda
// without the cuda feature), or a tuned plan that cannot schedule its group throws kiln::Error.
void apply_schedule(Lowered& net, const std::string& name, const Halide::Target& target, const MachineModel& machine,
                    const Tuning& tuning = {});

void schedule_unfused(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning);
void schedule_fused(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning);
void schedule_cuda(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning);
void schedule_mullapudi2016(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning);
void schedule_adams2019(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning);
void schedule_li2018(Lowered& net, const Halide::Target& target, const MachineModel& machine, const Tuning& tuning);

}  // namespace kiln::codegen
