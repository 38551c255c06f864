// Compiled Halide pipelines shared by every JitNet of the process. A pipeline is keyed by what
// decides its code (the net's structure, schedule, plans, machine model and target), so a net
// compiled twice, or a block that repeats inside a net (segments.hpp renames it to match), is
// compiled once. Misses are compiled in parallel, one thread per core.
#pragma once

#include <Halide.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen::detail {

struct CompiledPipeline {
    Lowered net;  // lowered and scheduled: its params and input are the pipeline's arguments
    Halide::Pipeline pipeline;
    // realize() calls on one pipeline are serialized: its JIT state is shared by every net using it.
    std::mutex mutex;
};

// One compiled pipeline per scheduled net, in order; a net whose key is cached is not compiled
// again. Halide's errors come back as Halide::Error (the first one, after every thread is done).
// A compile still running after 2 s reports through `progress` every 2 s (pipelines done of all,
// time so far, an estimate of the time left), and once more when it is done.
std::vector<std::shared_ptr<CompiledPipeline>> compile_pipelines(std::vector<Lowered> nets, const Halide::Target& target,
                                                                 const std::function<void(const std::string&)>& progress = {});

// Drops the cache's own references: pipelines no net holds are freed.
void forget_unused_pipelines();

}  // namespace kiln::codegen::detail
