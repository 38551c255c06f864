// AOT generation (see aot.hpp): the net's segments (or the whole net as one) lowered, scheduled
// and compiled once per target, in parallel; each target's functions in one object; the driver
// that runs them and the headers beside them (aot_files.cpp).
#include "kiln/codegen/aot.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "aot_parts.hpp"
#include "compile_progress.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/dsl/signature.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;
using detail::KernelTarget;

namespace {

bool is_identifier(const std::string& s) {
    if (s.empty() || std::isdigit((unsigned char)s[0])) return false;
    for (char ch : s)
        if (!(std::isalnum((unsigned char)ch) || ch == '_')) return false;
    return true;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out) throw Error("could not write " + path);
}

// Runs work(i) for i in [0, count) on up to one thread per core; the first exception is rethrown
// once all have stopped.
template <class Work>
void in_parallel(std::size_t count, Work work) {
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(count);
    const auto some = [&] {
        for (std::size_t i = next++; i < count; i = next++) {
            try {
                work(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(count, std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(some);
    some();
    for (auto& t : pool) t.join();
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

// The graph a kernel runs, its repeated segments sharing one compiled function.
detail::CompiledSegments plan_functions(const NetSpec& spec, bool split, const AotOptions& o, const std::vector<KernelTarget>& targets) {
    detail::CompiledSegments c;
    c.graph = split ? split_into_segments(spec) : as_one_segment(spec);
    std::map<std::string, std::size_t> by_key;
    for (const Segment& s : c.graph.segments) {
        const std::string key = net_signature(s.spec) + "\n" + std::to_string(c.graph.tensors[s.output].c) + " floats per output pixel";
        const auto [it, added] = by_key.emplace(key, by_key.size());
        c.function_of.push_back(it->second);
    }
    c.functions = by_key.size();
    for (const auto& t : targets)
        for (std::size_t f = 0; f < c.functions; ++f)
            c.symbols.push_back(o.name + (targets.size() > 1 ? "_" + detail::c_identifier(t.text) : "") + "_s" + std::to_string(f) + "_argv");
    return c;
}

}  // namespace

std::string generate_kernel(const NetSpec& spec, const AotOptions& o) {
    if (!is_identifier(o.name)) throw Error("kernel name '" + o.name + "' is not a C identifier");
    const std::vector<KernelTarget> targets = detail::kernel_targets(o.target);
    const bool gpu = std::any_of(targets.begin(), targets.end(), [](const KernelTarget& t) { return t.target.has_gpu_feature(); });
    const bool split = o.pipelines == JitOptions::Pipelines::automatic ? splits_by_default(o.schedule, gpu)
                                                                      : o.pipelines == JitOptions::Pipelines::per_segment;
    if (split && gpu)
        throw Error("kernel " + o.name + ": a GPU kernel is generated as one pipeline (pipelines whole_net); per segment, "
                    "the tensors between segments would go back and forth between host and GPU");
    // An autoscheduled CPU kernel is checked as JitNet checks it (jit.hpp: verify_autoschedule),
    // on the first of its targets this machine runs, so a Halide 14 miscompile fails the build
    // instead of shipping.
    if (o.schedule.rfind("auto-", 0) == 0) {
        for (const auto& t : targets) {
            if (t.target.has_gpu_feature() || !detail::host_can_run(t.target)) continue;
            JitOptions check{o.schedule, o.batch_estimate, t.text};
            check.machine = o.machine;
            check.pipelines = o.pipelines;
            JitNet(spec, check);
            break;
        }
    }
    const detail::CompiledSegments compiled = plan_functions(spec, split, o, targets);
    const SegmentGraph& graph = compiled.graph;
    const std::size_t functions = compiled.functions;
    // Segment f of target v is the first segment calling function f.
    std::vector<std::size_t> first_caller(functions);
    for (std::size_t s = graph.segments.size(); s-- > 0;) first_caller[compiled.function_of[s]] = s;

    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    std::atomic<double> lowering_seconds{0};  // read by the progress thread
    const std::string what = o.name + " (schedule " + o.schedule + ")";
    const std::size_t lowerings = targets.size() * functions;
    const std::string pieces = split ? std::to_string(functions) + " segment pipeline" + (functions == 1 ? "" : "s") : "one pipeline";
    detail::CompileProgress progress(
        lowerings, o.progress, [&](std::size_t done, std::size_t total, double seconds, bool finished) {
            char text[400];
            const std::size_t n = targets.size();
            if (finished)
                std::snprintf(text, sizeof text, "kiln generator: %s generated for %zu target%s in %.1f s (lowering and scheduling %.1f s, Halide's code generation %.1f s), %s each",
                              what.c_str(), n, n == 1 ? "" : "s", seconds, lowering_seconds.load(), seconds - lowering_seconds.load(), pieces.c_str());
            else if (done < total)
                std::snprintf(text, sizeof text, "kiln generator: %s: lowering and scheduling %s for %zu target%s, %zu of %zu done, %.0f s so far",
                              what.c_str(), pieces.c_str(), n, n == 1 ? "" : "s", done, total, seconds);
            else
                std::snprintf(text, sizeof text, "kiln generator: %s: Halide generating code for %zu target%s, %.0f s so far (lowering took %.0f s)",
                              what.c_str(), n, n == 1 ? "" : "s", seconds, lowering_seconds.load());
            return std::string(text);
        });

    // Lowered and scheduled once per target: vector width, registers and so the plans differ.
    // Separate pipelines lower independently, so all of them at once, on every core.
    std::vector<std::optional<Module>> modules(lowerings);
    std::vector<std::string> machines(targets.size()), plans(targets.size());
    try {
        in_parallel(lowerings + (split ? targets.size() : 0), [&](std::size_t item) {
            if (item >= lowerings) {
                // The whole net scheduled, only for its plans: what kiln-inspect and JitNet show.
                const std::size_t v = item - lowerings;
                Lowered whole = lower(spec, o.batch_estimate);
                apply_schedule(whole, o.schedule, targets[v].target, MachineModel::for_target(targets[v].target, o.machine), o.tuning);
                machines[v] = whole.machine, plans[v] = whole.schedule_plan;
                return;
            }
            const std::size_t v = item / functions, f = item % functions;
            const Target& target = targets[v].target;
            const Segment& s = graph.segments[first_caller[f]];
            Lowered net = lower(s.spec, o.batch_estimate, int(graph.tensors[s.output].c));
            apply_schedule(net, o.schedule, target, MachineModel::for_target(target, o.machine), o.tuning);
            std::vector<Argument> args = {net.input};
            for (const auto& p : net.param_list()) args.push_back(p);
            std::string symbol = compiled.symbols[item];
            symbol.resize(symbol.size() - std::string("_argv").size());
            modules[item] = Pipeline(net.output).compile_to_module(args, symbol, target);
            if (!split) machines[v] = net.machine, plans[v] = net.schedule_plan;
            progress.one_done();
        });
        lowering_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        // One object per target, all its functions in it, so the build names a fixed set of files.
        const std::string stem = o.output_dir + "/" + o.name;
        in_parallel(targets.size(), [&](std::size_t v) {
            Module object = *modules[v * functions];
            if (functions > 1) {
                object = Module(o.name + "_" + detail::c_identifier(targets[v].text), targets[v].target);
                for (std::size_t f = 0; f < functions; ++f) {
                    const Module& m = *modules[v * functions + f];
                    if (!m.submodules().empty()) throw Error("a segment of " + o.name + " has Halide submodules; generate it as one pipeline");
                    for (const auto& fn : m.functions()) object.append(fn);
                    for (const auto& b : m.buffers()) object.append(b);
                }
            }
            const std::string path = targets.size() > 1 ? stem + "-" + detail::c_identifier(targets[v].text) + ".o" : stem + ".o";
            object.compile({{OutputFileType::object, path}});
        });
    } catch (const Halide::Error& e) {
        throw Error("Halide could not compile " + o.name + ": " + e.what());
    }
    progress.finish();

    const bool several = targets.size() > 1;
    std::string machine_text, plan_text, target_list;
    for (std::size_t v = 0; v < targets.size(); ++v) {
        machine_text += (several ? targets[v].text + ": " : "") + machines[v] + (several ? "\n" : "");
        plan_text += (several ? "target " + targets[v].text + ":\n" : "") + plans[v];
        target_list += (target_list.empty() ? "" : ",") + (several ? targets[v].text : targets[v].target.to_string());
    }
    const std::string pipelines = split ? "per segment: " + std::to_string(graph.segments.size()) + " segments, " +
                                              std::to_string(functions) + " compiled (repeated blocks share one)"
                                        : "whole net: one pipeline";
    const std::string stem = o.output_dir + "/" + o.name;
    write_file(stem + ".h", detail::c_header(spec, o));
    write_file(stem + ".cpp", detail::driver_source(spec, o, targets, compiled));
    write_file(stem + ".hpp", detail::typed_header(spec, o, target_list, gpu && targets.front().target.has_feature(Target::CUDA),
                                                   machine_text, plan_text, pipelines));
    return plan_text;
}

void generate_runtime(const std::string& object_path, const std::string& target) {
    try {
        compile_standalone_runtime(object_path, resolve_target(target));
    } catch (const Halide::Error& e) {
        throw Error("Halide could not build its runtime for " + target + ": " + e.what());
    }
}

}  // namespace kiln::codegen
