// kiln-inspect: what a schedule made of a net.
//
//   kiln-inspect NET [--schedule S] [--batch B] [--target T] [--machine M] [--tuning FILE] [--out DIR] [--profile]
//
// Prints the machine model the schedule planned for and its plan per conv group; per declared
// layer, the Halide stages it became and where they are computed; per stored block, FLOPs, bytes
// read and written at the root level and arithmetic intensity; and Halide's loop nest. With --out,
// also writes Halide's HTML statement view, the assembly, the loop nest, the schedule source (the
// autoschedulers' own output), and the net as a Graphviz picture with its fusion groups (SVG when
// `dot` is installed). --profile runs the net with Halide's profiler and prints its per-stage
// times. --tuning takes measured plans from a kiln-tune file. NET is one of the example nets (--help
// lists them). Exit status: 0 done, 1 the net failed to compile or run, 2 bad command line.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>

#include "kiln/codegen/inspect.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/schedule.hpp"
#include "cli.hpp"
#include "example_nets.hpp"

namespace {

using kiln::tools::known_nets;

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f) throw kiln::Error("could not write " + path);
    std::printf("wrote %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    std::string name, schedule = "fused", out_dir, target_string, machine = "host", tuning;
    int batch = 1;
    bool profile = false;
    std::vector<std::string> nets;
    for (const auto& n : known_nets()) nets.push_back(n.first);
    std::string machines = "host";
    for (const auto& m : kiln::codegen::MachineModel::cpu_names()) machines += ", " + m;

    CLI::App app("Shows what a schedule made of a net: plans, stage placement, traffic, loop nest.", "kiln-inspect");
    kiln::tools::add_version(app);
    app.add_option("NET", name, "the net to inspect")->required()->check(kiln::tools::one_of(nets, "net"));
    app.add_option("--schedule", schedule, "the schedule")
        ->check(kiln::tools::one_of(kiln::codegen::schedule_names(), "schedule"))->capture_default_str();
    app.add_option("--batch", batch, "the batch the schedule plans for")->check(kiln::tools::number_in(1, 1 << 16))->capture_default_str();
    app.add_option("--target", target_string, "Halide target (default: HL_JIT_TARGET or the host)");
    app.add_option("--machine", machine, "machine model: " + machines + ", each with ,field=value overrides (l1d l2 l3 cores fma)")
        ->capture_default_str();
    app.add_option("--tuning", tuning, "a kiln-tune file whose plans to use")->check(CLI::ExistingFile);
    app.add_option("--out", out_dir, "also write the statement HTML, assembly, loop nest, schedule source and Graphviz picture here");
    app.add_flag("--profile", profile, "run the net under Halide's profiler and print its per-stage times");
    const std::string usage = "kiln-inspect NET [--schedule S] [--batch B] [--target T] [--machine M] [--tuning FILE] [--out DIR] [--profile]";
    if (const int done = kiln::tools::parse(app, argc, argv, usage); done >= 0) return done;
    const auto found = known_nets().find(name);
    try {
        kiln::codegen::JitOptions options{schedule, batch, target_string};
        options.verify_autoschedule = false;  // inspect what the autoscheduler made, even if wrong
        options.machine = machine;
        if (!tuning.empty()) options.tuning = kiln::codegen::Tuning::load(tuning);
        const kiln::codegen::JitNet net(found->second(), options);
        const kiln::codegen::Lowered& lowered = net.lowered();
        kiln::codegen::print_report(std::cout, lowered, batch);
        const std::string nest = kiln::codegen::loop_nest(lowered);
        std::cout << "\nloop nest (Halide):\n" << nest;
        if (!out_dir.empty()) {
            std::error_code made;
            std::filesystem::create_directories(out_dir, made);
            if (made) throw kiln::Error("could not create --out directory " + out_dir + ": " + made.message());
            const std::string stem = out_dir + "/" + name + "." + schedule;
            kiln::codegen::write_stmt(lowered, stem + ".stmt.html", net.target());
            std::printf("wrote %s.stmt.html\n", stem.c_str());
            kiln::codegen::write_assembly(lowered, stem + ".s", net.target());
            std::printf("wrote %s.s\n", stem.c_str());
            write_file(stem + ".loop_nest.txt", nest);
            write_file(stem + ".schedule.txt", lowered.schedule_source.empty()
                                                   ? "// kiln's own schedule '" + schedule + "' (codegen/src/schedule_" + schedule +
                                                         ".cpp); its loop nest:\n" + nest
                                                   : lowered.schedule_source);
            write_file(stem + ".dot", kiln::codegen::graphviz(lowered));
            const std::string dot = "dot -Tsvg '" + stem + ".dot' -o '" + stem + ".svg' 2>/dev/null";
            if (std::system("command -v dot >/dev/null 2>&1") == 0 && std::system(dot.c_str()) == 0)
                std::printf("wrote %s.svg\n", stem.c_str());
            else
                std::printf("(Graphviz `dot` not found: install graphviz for the SVG)\n");
        }
        if (profile) {
            // A second build with Halide's profiler compiled in. Under JIT, Halide prints its
            // report after every call and samples every ~1 ms, so one call on a batch large
            // enough to take a fraction of a second gives the per-stage split.
            const double flops_per_image = 2.0 * double(std::max<kiln::extent_t>(1, net.spec().macs));
            const int profile_batch = int(std::clamp(2e10 / flops_per_image, double(batch), 4096.0));
            options.target = (target_string.empty() ? std::string("host") : target_string) + "-profile";
            options.batch_estimate = profile_batch;
            const kiln::codegen::JitNet profiled(found->second(), options);
            kiln::Weights w = kiln::Weights::for_net(profiled.spec());
            w.fill_random(1);
            kiln::Tensor in(std::size_t(profile_batch), profiled.spec().input), out(std::size_t(profile_batch), profiled.spec().output);
            std::mt19937 rng(2);
            for (float& v : in.values()) v = std::uniform_real_distribution<float>(-1, 1)(rng);
            std::printf("\nHalide profiler, one call on a batch of %d (per-stage time, Halide's report):\n", profile_batch);
            std::fflush(stdout);
            profiled.run(in, w, out);
        }
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln-inspect: %s\n", e.what());
        return 1;
    }
    return 0;
}
