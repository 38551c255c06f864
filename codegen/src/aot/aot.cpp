// AOT generation (see aot.hpp): the net's segments (or the whole net as one) lowered, scheduled
// and compiled once per target, in parallel; each target's functions in one object; the driver
// that runs them and the headers beside them (aot_files.cpp).
#include "kiln/codegen/aot.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <vector>

#include "aot/aot_parts.hpp"
#include "compile/compile_progress.hpp"
#include "compile/in_parallel.hpp"
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

// The graph a kernel runs, its repeated segments sharing one compiled function, each function's
// key and symbol per target.
detail::CompiledSegments plan_functions(const NetSpec& spec, bool split, const AotOptions& o, const std::vector<KernelTarget>& targets) {
    detail::CompiledSegments c;
    c.graph = split ? split_into_segments(spec) : as_one_segment(spec);
    std::map<std::string, std::size_t> by_key;
    std::vector<std::string> segment_keys;
    for (const Segment& s : c.graph.segments) {
        const std::string key = net_signature(s.spec) + "\n" + std::to_string(c.graph.tensors[s.output].c) + " floats per output pixel";
        const auto [it, added] = by_key.emplace(key, by_key.size());
        if (added) segment_keys.push_back(key);
        c.function_of.push_back(it->second);
    }
    c.functions = by_key.size();
    std::string tuning;
    for (const auto& [key, tuned] : o.tuning.entries) tuning += key + " -> " + tuned.plan.describe() + "\n";
    for (const auto& t : targets) {
        const std::string machine = MachineModel::for_target(t.target, o.machine).describe();
        for (std::size_t f = 0; f < c.functions; ++f) {
            c.keys.push_back("kernel " + o.name + "\n" + segment_keys[f] + "\nschedule " + o.schedule + " for batch " +
                             std::to_string(o.batch_estimate) + " on " + t.target.to_string() + "\n" + machine + "\n" + tuning);
            c.symbols.push_back(o.name + "_" + detail::hex(detail::fnv1a(c.keys.back())) + "_argv");
        }
    }
    return c;
}

// Function `item` (target item / functions) lowered, scheduled and compiled to a Halide module.
Module compile_function(const detail::CompiledSegments& c, std::size_t item, const std::vector<std::size_t>& first_caller,
                        const AotOptions& o, const Target& target) {
    const Segment& s = c.graph.segments[first_caller[item % c.functions]];
    Lowered net = lower(s.spec, o.batch_estimate, int(c.graph.tensors[s.output].c));
    apply_schedule(net, o.schedule, target, MachineModel::for_target(target, o.machine), o.tuning);
    std::vector<Argument> args = {net.input};
    for (const auto& p : net.param_list()) args.push_back(p);
    std::string symbol = c.symbols[item];
    symbol.resize(symbol.size() - std::string("_argv").size());
    return Pipeline(net.output).compile_to_module(args, symbol, target);
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
    if (schedule_traits(o.schedule).autoscheduled) {
        for (const auto& t : targets) {
            if (t.target.has_gpu_feature() || !detail::host_can_run(t.target)) continue;
            JitOptions check{o.schedule, o.batch_estimate, t.text};
            check.machine = o.machine;
            check.pipelines = o.pipelines;
            JitNet(spec, check);
            break;
        }
    }
    // A cache without the code generator's identity would hand a changed kiln's build the old
    // kiln's objects.
    if (!o.cache_dir.empty() && (o.linker.empty() || o.cache_identity.empty()))
        throw Error("kernel " + o.name + ": an AOT cache directory needs a linker and a cache identity (kiln's code-generator library)");
    const detail::CompiledSegments compiled = plan_functions(spec, split, o, targets);
    const SegmentGraph& graph = compiled.graph;
    const std::size_t functions = compiled.functions;
    // The segment each function is compiled from: the first that calls it.
    std::vector<std::size_t> first_caller(functions);
    for (std::size_t s = graph.segments.size(); s-- > 0;) first_caller[compiled.function_of[s]] = s;

    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    std::atomic<double> lowering_seconds{0};  // read by the progress thread
    std::atomic<std::size_t> from_cache{0};
    const bool linked = !o.linker.empty();
    const std::string what = o.name + " (schedule " + o.schedule + ")";
    const std::size_t items = targets.size() * functions;
    const std::string pieces = split ? std::to_string(functions) + " segment pipeline" + (functions == 1 ? "" : "s") : "one pipeline";
    const std::size_t n = targets.size();
    const char* plural = n == 1 ? "" : "s";
    detail::CompileProgress progress(items, o.progress, [&](std::size_t done, std::size_t total, double seconds, bool finished) {
        char text[400];
        if (finished && linked)
            std::snprintf(text, sizeof text, "kiln generator: %s generated for %zu target%s in %.1f s, %s each (%zu of %zu compiled on every core, %zu from the cache)",
                          what.c_str(), n, plural, seconds, pieces.c_str(), total - from_cache.load(), total, from_cache.load());
        else if (finished)
            std::snprintf(text, sizeof text, "kiln generator: %s generated for %zu target%s in %.1f s (lowering and scheduling %.1f s, Halide's code generation %.1f s), %s each",
                          what.c_str(), n, plural, seconds, lowering_seconds.load(), seconds - lowering_seconds.load(), pieces.c_str());
        else if (linked)
            std::snprintf(text, sizeof text, "kiln generator: %s: compiling %s for %zu target%s, %zu of %zu done (%zu from the cache), %.0f s so far",
                          what.c_str(), pieces.c_str(), n, plural, done, total, from_cache.load(), seconds);
        else if (done < total)
            std::snprintf(text, sizeof text, "kiln generator: %s: lowering and scheduling %s for %zu target%s, %zu of %zu done, %.0f s so far",
                          what.c_str(), pieces.c_str(), n, plural, done, total, seconds);
        else
            std::snprintf(text, sizeof text, "kiln generator: %s: Halide generating code for %zu target%s, %.0f s so far (lowering took %.0f s)",
                          what.c_str(), n, plural, seconds, lowering_seconds.load());
        return std::string(text);
    });

    // The whole net scheduled per target, only for its plans: what kiln-inspect and JitNet show.
    std::vector<std::string> machines(n), plans(n);
    const auto schedule_whole = [&](std::size_t v) {
        Lowered whole = lower(spec, o.batch_estimate);
        apply_schedule(whole, o.schedule, targets[v].target, MachineModel::for_target(targets[v].target, o.machine), o.tuning);
        machines[v] = whole.machine, plans[v] = whole.schedule_plan;
    };
    const std::string stem = o.output_dir + "/" + o.name;
    const auto object_path = [&](std::size_t v) {
        return n > 1 ? stem + "-" + detail::c_identifier(targets[v].text) + ".o" : stem + ".o";
    };
    try {
        if (linked) {
            // Every pipeline to an object of its own, all at once, then one `ld -r` per target.
            std::string directory = o.cache_dir.empty() ? o.output_dir + "/" + o.name + ".pipelines" : o.cache_dir;
            std::filesystem::create_directories(directory);
            const std::string identity =
                (o.cache_identity.empty() ? std::string("no cache") : detail::file_fingerprint(o.cache_identity)) + "\n" +
                detail::halide_identity();
            std::vector<std::string> objects(items);
            for (std::size_t i = 0; i < items; ++i)
                objects[i] = directory + "/" + detail::hex(detail::fnv1a(identity + "\n" + compiled.keys[i])) + ".o";
            detail::in_parallel(items + n, [&](std::size_t item) {
                if (item >= items) return schedule_whole(item - items);
                // Without a cache the directory is the kernel's own, so an object there may be stale.
                if (!o.cache_dir.empty() && std::filesystem::exists(objects[item])) {
                    ++from_cache;
                } else {
                    Module m = compile_function(compiled, item, first_caller, o, targets[item / functions].target);
                    const std::string partial = objects[item] + ".partial";
                    m.compile({{OutputFileType::object, partial}});
                    std::filesystem::rename(partial, objects[item]);
                }
                progress.one_done();
            });
            detail::in_parallel(n, [&](std::size_t v) {
                detail::link_relocatable(o.linker, std::vector<std::string>(objects.begin() + std::ptrdiff_t(v * functions),
                                                                    objects.begin() + std::ptrdiff_t((v + 1) * functions)),
                                 object_path(v));
            });
        } else {
            // Lowered and scheduled for every target at once; then each target's pipelines joined
            // into one module and compiled, so the build names a fixed set of files.
            std::vector<std::optional<Module>> modules(items);
            detail::in_parallel(items + n, [&](std::size_t item) {
                if (item >= items) return schedule_whole(item - items);
                modules[item] = compile_function(compiled, item, first_caller, o, targets[item / functions].target);
                progress.one_done();
            });
            lowering_seconds = std::chrono::duration<double>(Clock::now() - start).count();
            detail::in_parallel(n, [&](std::size_t v) {
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
                object.compile({{OutputFileType::object, object_path(v)}});
            });
        }
    } catch (const Halide::Error& e) {
        throw Error("Halide could not compile " + o.name + ": " + e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        throw Error("kernel " + o.name + ": " + e.what());
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
