// See pipeline_cache.hpp.
#include "jit/pipeline_cache.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>

#include "compile/compile_progress.hpp"
#include "compile/in_parallel.hpp"
#include "jit/host_allocator.hpp"
#include "jit/parallel_loops.hpp"
#include "kiln/dsl/signature.hpp"

namespace kiln::codegen::detail {

namespace {

std::string packed_text(const Lowered& net) {
    std::string text;
    for (const auto& [name, packing] : net.packed_weights) {
        text += "\n" + name + " packed in blocks of " + std::to_string(packing.block);
        if (packing.winograd_tile) text += ", Winograd F(" + std::to_string(packing.winograd_tile) + ", 3)";
    }
    return text;
}

// Everything that decides the compiled code. The signature names every layer, so blocks share a
// key only once segments.hpp has renamed them alike.
std::string key_of(const Lowered& net, const Halide::Target& target) {
    return net_signature(net.spec) + "\n" + std::to_string(net.output_pixel_stride) + " floats per output pixel\n" +
           net.schedule_name + " for batch " + std::to_string(net.batch_estimate) + " on " +
           target.to_string() + "\n" + net.machine + "\n" + net.schedule_plan + "\n" + net.schedule_source + packed_text(net);
}

struct Cache {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<CompiledPipeline>> by_key;
    // The most recently used pipelines stay compiled after their nets are gone, so a net built
    // again (a tuner, a test, a bench) costs nothing; older ones live only while a net uses them.
    std::deque<std::shared_ptr<CompiledPipeline>> recent;
    static constexpr std::size_t recent_limit = 64;

    std::shared_ptr<CompiledPipeline> find(const std::string& key) {
        const auto found = by_key.find(key);
        return found == by_key.end() ? nullptr : found->second.lock();
    }
    void keep(const std::string& key, const std::shared_ptr<CompiledPipeline>& compiled) {
        by_key[key] = compiled;
        recent.erase(std::remove(recent.begin(), recent.end(), compiled), recent.end());
        recent.push_back(compiled);
        if (recent.size() > recent_limit) recent.pop_front();
        for (auto it = by_key.begin(); it != by_key.end();) it = it->second.expired() ? by_key.erase(it) : std::next(it);
    }
};

Cache& cache() {
    static Cache c;
    return c;
}

// The JIT's progress lines: pipelines compiled of all, time so far and left.
std::string describe_jit_compile(std::size_t done, std::size_t total, double seconds, bool finished) {
    char text[200];
    if (finished)
        std::snprintf(text, sizeof text, "kiln: compiled %zu Halide pipeline%s in %.1f s", total, total == 1 ? "" : "s", seconds);
    else if (done == 0)
        std::snprintf(text, sizeof text, "kiln: compiling %zu Halide pipeline%s, %.0f s so far", total, total == 1 ? "" : "s", seconds);
    else
        std::snprintf(text, sizeof text, "kiln: compiling Halide pipelines: %zu of %zu done, %.0f s so far, about %.0f s left", done, total,
                      seconds, seconds / double(done) * double(total - done));
    return text;
}

}  // namespace

std::vector<std::shared_ptr<CompiledPipeline>> compile_pipelines(std::vector<Lowered> nets, const Halide::Target& target,
                                                                 const std::function<void(const std::string&)>& progress) {
    Cache& c = cache();
    std::vector<std::shared_ptr<CompiledPipeline>> out(nets.size());
    std::vector<std::string> keys(nets.size());
    std::map<std::string, std::size_t> to_compile;  // key -> index of the net that compiles it
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        for (std::size_t i = 0; i < nets.size(); ++i) {
            keys[i] = key_of(nets[i], target);
            if ((out[i] = c.find(keys[i]))) continue;
            if (to_compile.count(keys[i])) continue;  // a repeat inside this request
            to_compile[keys[i]] = i;
            auto compiled = std::make_shared<CompiledPipeline>();
            compiled->net = std::move(nets[i]);
            compiled->pipeline = Halide::Pipeline(compiled->net.output);
            compiled->pipeline.jit_handlers().custom_malloc = cached_malloc;
            compiled->pipeline.jit_handlers().custom_free = cached_free;
            run_parallel_loops_on_kiln_pool(compiled->pipeline);
            out[i] = std::move(compiled);
        }
    }
    std::vector<std::size_t> work;
    for (const auto& [key, index] : to_compile) work.push_back(index);
    CompileProgress report(work.size(), progress, describe_jit_compile);
    in_parallel(work.size(), [&](std::size_t w) {
        struct Counted {
            CompileProgress& report;
            ~Counted() { report.one_done(); }
        } counted{report};
        out[work[w]]->pipeline.compile_jit(target);
    });
    report.finish();
    std::lock_guard<std::mutex> lock(c.mutex);
    for (const auto& [key, index] : to_compile) c.keep(key, out[index]);
    for (std::size_t i = 0; i < nets.size(); ++i)
        if (!out[i]) out[i] = out[to_compile.at(keys[i])];
    // Cached pipelines handed out again count as used.
    for (std::size_t i = 0; i < out.size(); ++i)
        if (!to_compile.count(keys[i]) || to_compile.at(keys[i]) != i) c.keep(keys[i], out[i]);
    return out;
}

void forget_unused_pipelines() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.recent.clear();
    for (auto it = c.by_key.begin(); it != c.by_key.end();) it = it->second.expired() ? c.by_key.erase(it) : std::next(it);
}

}  // namespace kiln::codegen::detail
