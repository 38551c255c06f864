// Measured tuning: each conv group's plan searched on the running machine, the cost model's plan
// (plan_conv_group) the starting point and the fallback, the winners written as a Tuning
// (tuning.hpp) that JitOptions::tuning, AotOptions::tuning and kiln_add_net(... TUNING) read.
//
//   kiln::codegen::TuneOptions options;  options.seconds = 120;
//   kiln::codegen::Tuning tuning = kiln::codegen::tune_net(kiln::describe<MyNet>(), options);
//   tuning.save("mynet.tuning.json");
//
// Every shape is a compile-time constant of the net, so the space is small: per group, a few
// register tiles, band counts and reduction blocks. A group is compiled and timed alone (a net of
// just its layers), so a trial costs one small compile, not the whole net's; groups with equal
// keys (repeated blocks) are measured once. Each candidate's output is checked against the cost
// model plan's on random data; one that disagrees is dropped and reported, never written.
#pragma once

#include <functional>
#include <string>

#include "kiln/codegen/tuning.hpp"
#include "kiln/dsl/layer_spec.hpp"

namespace kiln::codegen {

struct TuneOptions {
    std::string schedule = "fused";  // fused or unfused: the CPU schedules that take plans
    int batch_estimate = 1;
    std::string target;              // empty: HL_JIT_TARGET or the host
    std::string machine = "host";    // tuning measures the running CPU; the key records this model
    double seconds = 60;             // the whole search's budget, shared out among the groups left
    int max_candidates = 24;         // per group, the cost model's plan included
    // A plan replaces the cost model's only if it is this much faster when both are timed again,
    // interleaved, at the end of the group's search: timing noise never changes a plan.
    double min_gain = 0.03;
    // Tune for nets that prepare their weights (JitOptions::packed_weights): candidates then run
    // from prepared weights, and a 3x3 conv's plans include Winograd's.
    bool packed_weights = false;
    // Progress, one line per measured candidate and per group decision; empty: silent.
    std::function<void(const std::string&)> progress;
};

// Tunes every conv group of `net` the cost model does not already have an entry for in `start`
// (which is returned with the new entries added). Throws kiln::Error for a schedule that takes no
// plans, or when a group cannot be compiled even with the cost model's plan.
Tuning tune_net(const NetSpec& net, const TuneOptions& options, Tuning start = {});

}  // namespace kiln::codegen
