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
#include <functional>
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
#include "kiln/runtime/atomic_file.hpp"
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

// One kernel's generation: its checked targets and the functions it compiles for each.
struct Generation {
    const NetSpec& spec;
    const AotOptions& o;
    std::vector<KernelTarget> targets;
    bool gpu = false;
    bool split = false;  // one pipeline per segment, else the whole net as one
    detail::CompiledSegments compiled;
    std::vector<std::size_t> first_caller;  // the segment each function is compiled from: the first that calls it

    std::size_t functions() const { return compiled.functions; }
    std::size_t items() const { return targets.size() * compiled.functions; }  // [target * functions + function]
    std::string stem() const { return o.output_dir + "/" + o.name; }
    std::string object_path(std::size_t v) const {
        return targets.size() > 1 ? stem() + "-" + detail::c_identifier(targets[v].text) + ".o" : stem() + ".o";
    }
    Module compile(std::size_t item) const {
        return compile_function(compiled, item, first_caller, o, targets[item / functions()].target);
    }
};

// The options checked, an autoscheduled net verified, and the functions planned.
Generation prepare(const NetSpec& spec, const AotOptions& o) {
    if (!is_identifier(o.name)) throw Error("kernel name '" + o.name + "' is not a C identifier");
    Generation g{spec, o, detail::kernel_targets(o.target)};
    g.gpu = std::any_of(g.targets.begin(), g.targets.end(), [](const KernelTarget& t) { return t.target.has_gpu_feature(); });
    g.split = o.pipelines == JitOptions::Pipelines::automatic ? splits_by_default(o.schedule, g.gpu)
                                                              : o.pipelines == JitOptions::Pipelines::per_segment;
    if (g.split && g.gpu)
        throw Error("kernel " + o.name + ": a GPU kernel is generated as one pipeline (pipelines whole_net); per segment, "
                    "the tensors between segments would go back and forth between host and GPU");
    // An autoscheduled CPU kernel is checked as JitNet checks it (jit.hpp: verify_autoschedule),
    // on the first of its targets this machine runs, so a Halide 14 miscompile fails the build
    // instead of shipping.
    if (schedule_traits(o.schedule).autoscheduled) {
        for (const auto& t : g.targets) {
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
    g.compiled = plan_functions(spec, g.split, o, g.targets);
    g.first_caller.resize(g.functions());
    for (std::size_t s = g.compiled.graph.segments.size(); s-- > 0;) g.first_caller[g.compiled.function_of[s]] = s;
    return g;
}

// What the progress line reads while the compile runs.
struct CompileCounts {
    std::atomic<double> lowering_seconds{0};
    std::atomic<std::size_t> from_cache{0};
};

// The generation's progress line: while compiling, and when done.
std::string progress_line(const Generation& g, const CompileCounts& p, std::size_t done, std::size_t total, double seconds, bool finished) {
    const bool linked = !g.o.linker.empty();
    const std::string what = g.o.name + " (schedule " + g.o.schedule + ")";
    const std::size_t f = g.functions(), n = g.targets.size();
    const std::string pieces = g.split ? std::to_string(f) + " segment pipeline" + (f == 1 ? "" : "s") : "one pipeline";
    const char* plural = n == 1 ? "" : "s";
    const std::size_t cached = p.from_cache.load();
    const double lowering = p.lowering_seconds.load();
    char text[400];
    if (finished && linked)
        std::snprintf(text, sizeof text, "kiln generator: %s generated for %zu target%s in %.1f s, %s each (%zu of %zu compiled on every core, %zu from the cache)",
                      what.c_str(), n, plural, seconds, pieces.c_str(), total - cached, total, cached);
    else if (finished)
        std::snprintf(text, sizeof text, "kiln generator: %s generated for %zu target%s in %.1f s (lowering and scheduling %.1f s, Halide's code generation %.1f s), %s each",
                      what.c_str(), n, plural, seconds, lowering, seconds - lowering, pieces.c_str());
    else if (linked)
        std::snprintf(text, sizeof text, "kiln generator: %s: compiling %s for %zu target%s, %zu of %zu done (%zu from the cache), %.0f s so far",
                      what.c_str(), pieces.c_str(), n, plural, done, total, cached, seconds);
    else if (done < total)
        std::snprintf(text, sizeof text, "kiln generator: %s: lowering and scheduling %s for %zu target%s, %zu of %zu done, %.0f s so far",
                      what.c_str(), pieces.c_str(), n, plural, done, total, seconds);
    else
        std::snprintf(text, sizeof text, "kiln generator: %s: Halide generating code for %zu target%s, %.0f s so far (lowering took %.0f s)",
                      what.c_str(), n, plural, seconds, lowering);
    return text;
}

// With a linker: every pipeline to an object of its own, all at once (or from the cache), then one
// `ld -r` per target. `also(v)` runs beside the compiles for each target v.
void compile_linked(const Generation& g, CompileCounts& p, detail::CompileProgress& progress, const std::function<void(std::size_t)>& also) {
    const AotOptions& o = g.o;
    const std::size_t items = g.items(), n = g.targets.size();
    const std::string directory = o.cache_dir.empty() ? o.output_dir + "/" + o.name + ".pipelines" : o.cache_dir;
    std::filesystem::create_directories(directory);
    const std::string identity =
        (o.cache_identity.empty() ? std::string("no cache") : detail::file_fingerprint(o.cache_identity)) + "\n" + detail::halide_identity();
    std::vector<std::string> objects(items);
    for (std::size_t i = 0; i < items; ++i)
        objects[i] = directory + "/" + detail::hex(detail::fnv1a(identity + "\n" + g.compiled.keys[i])) + ".o";
    detail::in_parallel(items + n, [&](std::size_t item) {
        if (item >= items) return also(item - items);
        // Without a cache the directory is the kernel's own, so an object there may be stale.
        if (!o.cache_dir.empty() && std::filesystem::exists(objects[item])) {
            ++p.from_cache;
        } else {
            // Two builds may fill one cache at once: each writes a temporary of its own and renames it.
            const Module m = g.compile(item);
            write_file_atomically(objects[item], [&](const std::string& temporary) { m.compile({{OutputFileType::object, temporary}}); });
        }
        progress.one_done();
    });
    const std::size_t f = g.functions();
    detail::in_parallel(n, [&](std::size_t v) {
        const std::vector<std::string> inputs(objects.begin() + std::ptrdiff_t(v * f), objects.begin() + std::ptrdiff_t((v + 1) * f));
        write_file_atomically(g.object_path(v), [&](const std::string& temporary) { detail::link_relocatable(o.linker, inputs, temporary); });
    });
}

// Without a linker: lowered and scheduled for every target at once, then each target's pipelines
// joined into one module and compiled, so the build names a fixed set of files.
void compile_joined(const Generation& g, CompileCounts& p, detail::CompileProgress& progress, const std::function<void(std::size_t)>& also) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    const std::size_t items = g.items(), n = g.targets.size(), f = g.functions();
    std::vector<std::optional<Module>> modules(items);
    detail::in_parallel(items + n, [&](std::size_t item) {
        if (item >= items) return also(item - items);
        modules[item] = g.compile(item);
        progress.one_done();
    });
    p.lowering_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    detail::in_parallel(n, [&](std::size_t v) {
        Module object = *modules[v * f];
        if (f > 1) {
            object = Module(g.o.name + "_" + detail::c_identifier(g.targets[v].text), g.targets[v].target);
            for (std::size_t i = 0; i < f; ++i) {
                const Module& m = *modules[v * f + i];
                if (!m.submodules().empty()) throw Error("a segment of " + g.o.name + " has Halide submodules; generate it as one pipeline");
                for (const auto& fn : m.functions()) object.append(fn);
                for (const auto& b : m.buffers()) object.append(b);
            }
        }
        write_file_atomically(g.object_path(v), [&](const std::string& temporary) { object.compile({{OutputFileType::object, temporary}}); });
    });
}

// The kernel's C header, driver and typed header, which name each target's machine model and plans.
std::string write_sources(const Generation& g, const std::vector<std::string>& machines, const std::vector<std::string>& plans) {
    const auto& targets = g.targets;
    const bool several = targets.size() > 1;
    std::string machine_text, plan_text, target_list;
    for (std::size_t v = 0; v < targets.size(); ++v) {
        machine_text += (several ? targets[v].text + ": " : "") + machines[v] + (several ? "\n" : "");
        plan_text += (several ? "target " + targets[v].text + ":\n" : "") + plans[v];
        target_list += (target_list.empty() ? "" : ",") + (several ? targets[v].text : targets[v].target.to_string());
    }
    const std::string pipelines = g.split ? "per segment: " + std::to_string(g.compiled.graph.segments.size()) + " segments, " +
                                                std::to_string(g.functions()) + " compiled (repeated blocks share one)"
                                          : "whole net: one pipeline";
    write_file_atomically(g.stem() + ".h", detail::c_header(g.spec, g.o));
    write_file_atomically(g.stem() + ".cpp", detail::driver_source(g.spec, g.o, targets, g.compiled));
    write_file_atomically(g.stem() + ".hpp", detail::typed_header(g.spec, g.o, target_list, g.gpu && targets.front().target.has_feature(Target::CUDA),
                                                       machine_text, plan_text, pipelines));
    return plan_text;
}

}  // namespace

std::string generate_kernel(const NetSpec& spec, const AotOptions& o) {
    const Generation g = prepare(spec, o);
    CompileCounts p;
    detail::CompileProgress progress(g.items(), o.progress, [&](std::size_t done, std::size_t total, double seconds, bool finished) {
        return progress_line(g, p, done, total, seconds, finished);
    });
    // The whole net scheduled per target, only for its plans: what kiln-inspect and JitNet show.
    const std::size_t n = g.targets.size();
    std::vector<std::string> machines(n), plans(n);
    const auto schedule_whole = [&](std::size_t v) {
        Lowered whole = lower(spec, o.batch_estimate);
        apply_schedule(whole, o.schedule, g.targets[v].target, MachineModel::for_target(g.targets[v].target, o.machine), o.tuning);
        machines[v] = whole.machine, plans[v] = whole.schedule_plan;
    };
    try {
        if (!o.linker.empty()) compile_linked(g, p, progress, schedule_whole);
        else compile_joined(g, p, progress, schedule_whole);
    } catch (const Halide::Error& e) {
        throw Error("Halide could not compile " + o.name + ": " + e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        throw Error("kernel " + o.name + ": " + e.what());
    }
    progress.finish();
    return write_sources(g, machines, plans);
}

void generate_runtime(const std::string& object_path, const std::string& target) {
    try {
        compile_standalone_runtime(object_path, resolve_target(target));
    } catch (const Halide::Error& e) {
        throw Error("Halide could not build its runtime for " + target + ": " + e.what());
    }
}

}  // namespace kiln::codegen
