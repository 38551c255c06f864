// The body of kiln's build-time generator (run by kiln_add_net, cmake/KilnAot.cmake): flags, the
// kernel or the shared Halide runtime. Compiled once into kiln::generator, so that each net's
// generator (kiln_generate.cpp) compiles only its net's declaration.
//
//   generator --name N --out DIR [--schedule S] [--target T] [--batch B] [--machine M] [--tuning FILE]
//             [--pipelines automatic|per_segment|whole_net] [--linker LD [--cache DIR --cache-identity FILE]]
//   generator --runtime FILE.o --target T
#include "generator_main.hpp"

#include <cstdio>
#include <string>

#include "cli.hpp"
#include "kiln/codegen/aot.hpp"
#include "kiln/codegen/schedule.hpp"

int kiln::tools::generator_main(int argc, char** argv, const std::function<NetSpec()>& describe) {
    kiln::codegen::AotOptions options;
    std::string runtime, tuning;
    CLI::App app("kiln's build-time generator (kiln_add_net runs it): writes a net's kernel and headers, or the Halide runtime.",
                 "kiln-generate");
    kiln::tools::add_version(app);
    app.add_option("--name", options.name, "the kernel's C identifier");
    app.add_option("--out", options.output_dir, "where to write <name>.o, <name>.cpp, <name>.h and <name>.hpp");
    app.add_option("--schedule", options.schedule, "the schedule")
        ->check(kiln::tools::one_of(kiln::codegen::schedule_names(), "schedule"))->capture_default_str();
    app.add_option("--target", options.target,
                   "Halide target, or several separated by commas (most specialized first, the baseline last): one kernel each and a dispatcher")
        ->capture_default_str();
    app.add_option("--batch", options.batch_estimate, "the batch the schedule plans for")
        ->check(kiln::tools::number_in(1, 1 << 16))->capture_default_str();
    app.add_option("--machine", options.machine, "machine model the schedule plans for")->capture_default_str();
    app.add_option("--tuning", tuning, "a kiln-tune file whose plans to use")->check(CLI::ExistingFile);
    std::string pipelines = "automatic";
    app.add_option("--pipelines", pipelines,
                   "one Halide pipeline per segment (compiled in parallel, repeated blocks once) or the whole net as one; automatic: per segment for kiln's CPU schedules")
        ->check(kiln::tools::one_of({"automatic", "per_segment", "whole_net"}, "pipelines"))->capture_default_str();
    app.add_option("--linker", options.linker,
                   "a linker whose -r joins each target's pipelines, each compiled to an object of its own on every core (without one: joined in memory, compiled as one)");
    app.add_option("--cache", options.cache_dir, "with --linker: keep compiled pipelines here, reused when nothing that decides their code changed");
    app.add_option("--cache-identity", options.cache_identity, "a file whose bytes identify kiln's code generator (libkiln_codegen), part of the cache's keys")
        ->check(CLI::ExistingFile);
    app.add_option("--runtime", runtime, "write only the Halide runtime for --target to this object file");
    const std::string usage =
        "generator --name N --out DIR [--schedule S] [--target T] [--batch B] [--machine M] [--tuning FILE] [--pipelines P] [--linker LD [--cache DIR --cache-identity FILE]] | --runtime FILE.o --target T";
    if (const int done = kiln::tools::parse(app, argc, argv, usage); done >= 0) return done;
    try {
        using Pipelines = kiln::codegen::JitOptions::Pipelines;
        options.pipelines = pipelines == "per_segment" ? Pipelines::per_segment : pipelines == "whole_net" ? Pipelines::whole_net : Pipelines::automatic;
        if (!tuning.empty()) options.tuning = kiln::codegen::Tuning::load(tuning);
        if (!runtime.empty()) {
            kiln::codegen::generate_runtime(runtime, options.target);
            return 0;
        }
        const std::string plans = kiln::codegen::generate_kernel(describe(), options);
        // Build logs say which groups a tuning file reached: a file for another machine or
        // shape matches nothing, and silently getting the cost model's plans would hide that.
        if (!options.tuning.entries.empty()) std::printf("kiln generator: %s plans:\n%s", options.name.c_str(), plans.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln generator: %s\n", e.what());
        return kiln::tools::failure;
    }
}
