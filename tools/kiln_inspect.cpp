// kiln-inspect: what a schedule made of a net.
//
//   kiln-inspect NET [--schedule S] [--batch B] [--target T] [--machine M] [--tuning FILE] [--out DIR] [--profile] [--json]
//
// Prints the machine model the schedule planned for and its plan per conv group; per declared
// layer, the Halide stages it became and where they are computed; per stored block, FLOPs, bytes
// read and written at the root level and arithmetic intensity; and Halide's loop nest. With --out,
// also writes Halide's HTML statement view, the assembly, the loop nest, the schedule source (the
// autoschedulers' own output), and the net as a Graphviz picture with its fusion groups (SVG when
// `dot` is installed), its nodes and clusters carrying MFLOP, KiB moved, FLOP/byte and, with
// --profile, time. --profile runs the net with Halide's profiler and prints its per-stage times.
// --json prints the whole inspection as JSON instead of text (inspect.hpp: inspection_json). The
// files written and the steps taken are reported on stderr, never mixed into the report. --tuning takes measured plans from a kiln-tune file. NET is one of the example nets (--help
// lists them), or for an inspector kiln_add_inspector built, the user's net (and may be left out). Exit status: 0 done, 1 the net failed to compile or run, 2 bad command line.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "kiln/codegen/inspect.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/schedule.hpp"
#include "cli.hpp"
#include "kiln/runtime/atomic_file.hpp"
#include "tool_nets.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void write_file(const std::string& path, const std::string& text) {
    kiln::write_file_atomically(path, text);
    std::fprintf(stderr, "wrote %s\n", path.c_str());
}

// Which step of how many, on stderr; each step's own progress (a JIT compile's) follows it.
class Steps {
public:
    explicit Steps(int count) : count_(count) {}
    void start(const std::string& what) {
        finish();
        step_start_ = Clock::now();
        std::fprintf(stderr, "kiln-inspect: step %d of %d: %s\n", ++step_, count_, what.c_str());
    }
    void finish() {
        if (step_ == 0 || done_ == step_) return;
        done_ = step_;
        std::fprintf(stderr, "kiln-inspect: step %d of %d done in %.1f s (%.1f s in all)\n", step_, count_, seconds(step_start_),
                     seconds(begin_));
    }

private:
    static double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }
    int count_, step_ = 0, done_ = 0;
    Clock::time_point begin_ = Clock::now(), step_start_ = begin_;
};

// Runs this program again with `args` and returns what it printed. Halide's JIT runtime prints
// the profiler's report on stdout, when it likes (at exit at the latest), so the profiled run is a
// process of its own whose output is the report, kept apart from this one's.
std::string run_child_for_output(std::vector<std::string> args) {
    char path[] = "/tmp/kiln-inspect-profile-XXXXXX";
    const int file = mkstemp(path);
    if (file < 0) throw kiln::Error("could not create a temporary file for the profiler's report");
    close(file);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_TRUNC, 0600);  // stderr stays: compile progress
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = 0;
    const int spawned = posix_spawn(&child, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    if (spawned == 0) waitpid(child, &status, 0);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    unlink(path);
    if (spawned != 0) throw kiln::Error("could not start the profiled run: " + std::string(std::strerror(spawned)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw kiln::Error("the profiled run failed (its errors are above)");
    return text.str();
}

// The profiled run itself (--profile-child): the net built with Halide's profiler, one call.
void profiled_call(const kiln::NetSpec& spec, kiln::codegen::JitOptions options, int profile_batch) {
    options.batch_estimate = profile_batch;
    // One pipeline, so the report's stage names are the net's (segments name their layers afresh).
    options.pipelines = kiln::codegen::JitOptions::Pipelines::whole_net;
    const kiln::codegen::JitNet profiled(spec, options);
    kiln::Weights w = kiln::Weights::for_net(profiled.spec());
    w.fill_random(1);
    kiln::Tensor in(std::size_t(profile_batch), profiled.spec().input), out(std::size_t(profile_batch), profiled.spec().output);
    std::mt19937 rng(2);
    for (float& v : in.values()) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    profiled.run(in, w, out);
}

// Each pipeline's median time over `calls` calls on random data and weights (prepared once), with
// its layers, GFLOP/s and share of the call: where a real model's time goes, precisely.
std::string segment_times(const kiln::codegen::JitNet& net, int batch, int calls) {
    kiln::Weights w = kiln::Weights::for_net(net.spec());
    w.fill_random(1);
    kiln::Tensor in(std::size_t(batch), net.spec().input);
    std::mt19937 rng(2);
    for (float& v : in.values()) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    const auto times = net.time_segments(in, net.prepare(w), calls);
    double total = 0;
    for (const auto& t : times) total += t.seconds;
    std::ostringstream out;
    char line[512];
    std::snprintf(line, sizeof line, "pipelines, median of %d calls at batch %d (%.3f ms in all):\n%-44s %9s %9s %9s %7s\n", calls, batch,
                  total * 1e3, "layers", "MFLOP", "ms", "GFLOP/s", "share");
    out << line;
    for (const auto& t : times) {
        const std::string layers = t.first_layer == t.last_layer ? t.first_layer : t.first_layer + ".." + t.last_layer;
        const double flops = 2.0 * double(t.macs) * batch;
        std::snprintf(line, sizeof line, "%-44s %9.1f %9.3f %9.1f %6.1f%%\n", layers.c_str(), flops / 1e6, t.seconds * 1e3,
                      flops / t.seconds / 1e9, 100 * t.seconds / total);
        out << line;
    }
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    std::string name, schedule = "fused", out_dir, target_string, machine = "host", tuning;
    int batch = 1;
    bool profile = false, json = false, packed = false;
    int segment_calls = 0;
    std::string machines = "host";
    for (const auto& m : kiln::codegen::MachineModel::cpu_names()) machines += ", " + m;

    CLI::App app("Shows what a schedule made of a net: plans, stage placement, traffic, loop nest.", "kiln-inspect");
    kiln::tools::add_version(app);
    kiln::tools::add_net_argument(app, name, "the net to inspect");
    app.add_option("--schedule", schedule, "the schedule")
        ->check(kiln::tools::one_of(kiln::codegen::schedule_names(), "schedule"))->capture_default_str();
    app.add_option("--batch", batch, "the batch the schedule plans for")->check(kiln::tools::number_in(1, 1 << 16))->capture_default_str();
    app.add_option("--target", target_string, "Halide target (default: HL_JIT_TARGET or the host)");
    app.add_option("--machine", machine, "machine model: " + machines + ", each with ,field=value overrides (l1d l2 l3 cores fma)")
        ->capture_default_str();
    app.add_option("--tuning", tuning, "a kiln-tune file whose plans to use")->check(CLI::ExistingFile);
    app.add_option("--out", out_dir, "also write the statement HTML, assembly, loop nest, schedule source and Graphviz picture here");
    app.add_flag("--profile", profile, "run the net under Halide's profiler and print its per-stage times");
    app.add_flag("--json", json, "print the whole inspection as JSON instead of text");
    app.add_flag("--packed-weights", packed, "read conv weights packed once (JitOptions::packed_weights), as a prepared net does");
    app.add_option("--segment-times", segment_calls, "time each pipeline (segment) of the net over this many calls at --batch")
        ->check(kiln::tools::number_in(1, 100000));
    int profile_child = 0;  // the batch of a profiled run this process is (run_child_for_output)
    app.add_option("--profile-child", profile_child)->group("");
    const std::string usage =
        "kiln-inspect NET [--schedule S] [--batch B] [--target T] [--machine M] [--tuning FILE] [--out DIR] [--profile] [--json] "
        "[--packed-weights] [--segment-times N]";
    if (const int done = kiln::tools::parse(app, argc, argv, usage); done >= 0) return done;
    try {
        if (profile_child > 0) {
            kiln::codegen::JitOptions options{schedule, profile_child, (target_string.empty() ? "host" : target_string) + "-profile"};
            options.verify_autoschedule = false;
            options.machine = machine;
            if (!tuning.empty()) options.tuning = kiln::codegen::Tuning::load(tuning);
            profiled_call(kiln::tools::net_spec(name), options, profile_child);
            return 0;
        }
        Steps steps(1 + (profile ? 1 : 0) + (segment_calls ? 1 : 0) + (out_dir.empty() ? 0 : 1));
        steps.start("compiling " + name + " with schedule " + schedule);
        kiln::codegen::JitOptions options{schedule, batch, target_string};
        options.verify_autoschedule = false;  // inspect what the autoscheduler made, even if wrong
        options.machine = machine;
        options.packed_weights = packed;
        if (!tuning.empty()) options.tuning = kiln::codegen::Tuning::load(tuning);
        const kiln::codegen::JitNet net(kiln::tools::net_spec(name), options);
        const kiln::codegen::Lowered& lowered = net.lowered();
        const std::string nest = kiln::codegen::loop_nest(lowered);

        kiln::codegen::Profile measured;
        std::string profiler_report;
        if (profile) {
            // A second build with Halide's profiler compiled in. Under JIT, Halide prints its
            // report after every call and samples every ~1 ms, so one call on a batch large
            // enough to take a fraction of a second gives the per-stage split.
            const double flops_per_image = 2.0 * double(std::max<kiln::extent_t>(1, net.spec().macs));
            const int profile_batch = int(std::clamp(2e10 / flops_per_image, double(batch), 4096.0));
            steps.start("profiling one call on a batch of " + std::to_string(profile_batch));
            std::vector<std::string> child = {"kiln-inspect", name, "--schedule", schedule, "--machine", machine,
                                              "--profile-child", std::to_string(profile_batch)};
            if (!target_string.empty()) child.insert(child.end(), {"--target", target_string});
            if (!tuning.empty()) child.insert(child.end(), {"--tuning", tuning});
            profiler_report = run_child_for_output(child);
            measured = kiln::codegen::parse_profile(profiler_report, lowered, profile_batch);
            if (measured.empty()) throw kiln::Error("Halide's profiler printed no per-stage times:\n" + profiler_report);
        }

        std::string segment_report;
        if (segment_calls) {
            steps.start("timing each pipeline over " + std::to_string(segment_calls) + " calls at batch " + std::to_string(batch));
            segment_report = segment_times(net, batch, segment_calls);
        }

        if (!out_dir.empty()) {
            steps.start("writing statement, assembly and picture to " + out_dir);
            std::error_code made;
            std::filesystem::create_directories(out_dir, made);
            if (made) throw kiln::Error("could not create --out directory " + out_dir + ": " + made.message());
            const std::string stem = out_dir + "/" + kiln::tools::net_file_stem(name) + "." + schedule;
            kiln::codegen::write_stmt(lowered, stem + ".stmt.html", net.target());
            std::fprintf(stderr, "wrote %s.stmt.html\n", stem.c_str());
            kiln::codegen::write_assembly(lowered, stem + ".s", net.target());
            std::fprintf(stderr, "wrote %s.s\n", stem.c_str());
            write_file(stem + ".loop_nest.txt", nest);
            write_file(stem + ".schedule.txt", lowered.schedule_source.empty()
                                                   ? "// kiln's own schedule '" + schedule + "' (" +
                                                         std::string(kiln::codegen::schedule_traits(schedule, net.target().has_gpu_feature()).source) +
                                                         "); its loop nest:\n" + nest
                                                   : lowered.schedule_source);
            write_file(stem + ".dot", kiln::codegen::graphviz(lowered, batch, measured));
            const std::string dot = "dot -Tsvg '" + stem + ".dot' -o '" + stem + ".svg' 2>/dev/null";
            if (std::system("command -v dot >/dev/null 2>&1") == 0 && std::system(dot.c_str()) == 0)
                std::fprintf(stderr, "wrote %s.svg\n", stem.c_str());
            else
                std::fprintf(stderr, "(Graphviz `dot` not found: install graphviz for the SVG)\n");
        }
        steps.finish();

        if (json) {
            std::cout << kiln::codegen::inspection_json(lowered, batch, measured);
        } else {
            kiln::codegen::print_report(std::cout, lowered, batch);
            std::cout << "\nloop nest (Halide):\n" << nest;
            if (segment_calls) std::cout << "\n" << segment_report;
            if (profile)
                std::cout << "\nHalide profiler, one call on a batch of " << measured.batch << " (per-stage time, Halide's report):\n"
                          << profiler_report;
        }
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln-inspect: %s\n", e.what());
        return 1;
    }
    return 0;
}
