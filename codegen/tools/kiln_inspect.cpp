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
// times. --tuning takes measured plans from a kiln-tune file. NET is one of the example nets (run
// without arguments for the list).
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
#include "example_nets.hpp"

namespace {

using kiln::tools::known_nets;

int usage(const char* why) {
    std::fprintf(stderr, "kiln-inspect: %s\nusage: kiln-inspect NET [--schedule S] [--batch B] [--target T] [--machine M] [--tuning FILE] [--out DIR] [--profile]\nnets:",
                 why);
    for (const auto& n : known_nets()) std::fprintf(stderr, " %s", n.first.c_str());
    std::fprintf(stderr, "\nschedules:");
    for (const auto& s : kiln::codegen::schedule_names()) std::fprintf(stderr, " %s", s.c_str());
    std::fprintf(stderr, "\nmachines: host");
    for (const auto& m : kiln::codegen::MachineModel::cpu_names()) std::fprintf(stderr, " %s", m.c_str());
    std::fprintf(stderr, " (each may add ,field=value: l1d l2 l3 cores fma)\n");
    return 2;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f) throw kiln::Error("could not write " + path);
    std::printf("wrote %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage("which net?");
    const std::string name = argv[1];
    std::string schedule = "fused", out_dir, target_string, machine = "host", tuning;
    int batch = 1;
    bool profile = false;
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--profile") {
            profile = true;
            continue;
        }
        if (i + 1 >= argc) return usage(("flag " + flag + " needs a value").c_str());
        const std::string value = argv[++i];
        if (flag == "--schedule") schedule = value;
        else if (flag == "--batch") batch = std::atoi(value.c_str());
        else if (flag == "--target") target_string = value;
        else if (flag == "--out") out_dir = value;
        else if (flag == "--machine") machine = value;
        else if (flag == "--tuning") tuning = value;
        else return usage(("unknown flag " + flag).c_str());
    }
    const auto found = known_nets().find(name);
    if (found == known_nets().end()) return usage(("unknown net '" + name + "'").c_str());
    if (batch < 1) return usage("--batch must be at least 1");
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
