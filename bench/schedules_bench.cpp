// kiln against its peers, in one run with interleaved repetitions (scripts/bench.sh runs it and
// writes the report). Workloads:
//   W1 TF CIFAR-10 conv1 block  24x24x3   conv 5x5x64 same, ReLU, max-pool 3x3/2 same
//   W2 TF CIFAR-10 conv2 block  12x12x64  conv 5x5x64 same, ReLU, max-pool 3x3/2 same
//   W3 GoogLeNet stem           224x224x3 conv 7x7/2 x64 pad 3, ReLU, max-pool 3x3/2
//   W4 GoogLeNet conv2          56x56x64  conv 3x3x192 pad 1, ReLU, max-pool 3x3/2
//   W5 the lecture's CIFAR-10 model 4 end to end (three conv blocks, dense 10, softmax)
//   W6 MobileNet v1 block       56x56x128 depthwise 3x3 pad 1, ReLU, conv 1x1x128, ReLU
//   W6dw its depthwise half     56x56x128 depthwise 3x3 pad 1, ReLU
//   GoogLeNet end to end (batch 1; kiln fused and unfused only: Halide 14 takes ~80 s to compile it)
//   Inception<m>-1x1 a GoogLeNet module's three 1x1 convs over its input, separate and merged
//                    into one (bench/inception_reduce_rows.hpp)
// Implementations: every kiln CPU schedule (and `fused-tuned`, fused with a kiln-tune file's plans,
// when KILN_BENCH_TUNING names one), AOT kernels of W5 and GoogLeNet (`aot`: per segment, as
// kiln_add_net generates them; `aot-whole`: one pipeline), oneDNN (bench/onednn_net.hpp), PyTorch (a child
// process, bench/served_peer.hpp), the tests' plain-loop reference at batch 1 (a sanity floor).
// Counters: GFLOP/s over nominal MACs (taps in zero padding included), useful_GFLOP/s over the MACs
// whose tap lies inside the image (what oneDNN counts), and for kiln's fused/unfused the MiB the
// schedule moves to and from memory per call (codegen/inspect.hpp). ceiling/fma is the machine's
// measured FMA peak. Buffers are allocated and touched before timing. A schedule kiln refuses (an
// autoscheduler miscompile, see docs/known-defects.md) is an error row, not timed.
#include <benchmark/benchmark.h>

#include <dnnl.hpp>
#include <chrono>
#include <cstdio>
#include <kiln/codegen/inspect.hpp>
#include <kiln/codegen/jit.hpp>
#include <kiln/dsl.hpp>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "bench_googlenet_aot.hpp"
#include "bench_w5_aot.hpp"
#include "bench_w5_aot_whole.hpp"
#include "inception_reduce_rows.hpp"
#include "machine_ceilings.hpp"
#include "progress_reporter.hpp"
#include "training_rows.hpp"
#include "nets/cifar10.hpp"
#include "nets/googlenet.hpp"
#include "nets/resnet.hpp"
#include "nets/workloads.hpp"
#include "onednn_net.hpp"
#include "served_peer.hpp"
#include "compare.hpp"
#include "reference_net.hpp"
#include "useful_macs.hpp"

namespace {
using namespace kiln;

struct Workload {
    std::string name;
    NetSpec spec;
    extent_t macs;
    std::vector<int> batches;
    std::vector<std::string> schedules;  // kiln schedules timed on it
};

template <class N>
Workload workload(const std::string& name, std::vector<int> batches, std::vector<std::string> schedules) {
    return {name, describe<N>(), N::mac_count, std::move(batches), std::move(schedules)};
}

void flop_counters(benchmark::State& state, const Workload& w, int batch) {
    using benchmark::Counter;
    state.counters["GFLOP/s"] = Counter(2.0 * double(w.macs) * batch, Counter::kIsIterationInvariantRate, Counter::kIs1000);
    state.counters["useful_GFLOP/s"] =
        Counter(2.0 * bench::useful_macs(w.spec.layers) * batch, Counter::kIsIterationInvariantRate, Counter::kIs1000);
}

Tensor random_tensor(std::size_t batch, Shape shape, unsigned seed) {
    Tensor t(batch, shape);
    std::mt19937 rng(seed);
    for (auto& v : t.values()) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    return t;
}

void memory_ceiling(benchmark::State& state) {
    bench::memory_triad_bytes();  // allocates and first-touches the arrays, outside the timing
    double bytes = 0;
    for (auto _ : state) bytes += bench::memory_triad_bytes();
    state.SetBytesProcessed(int64_t(bytes));
    state.counters["GB/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void run_onednn(benchmark::State& state, const Workload& w) {
    const int batch = int(state.range(0));
    bench::OneDnnNet net(w.spec, batch);
    for (int i = 0; i < 3; ++i) net.run();
    for (auto _ : state) net.run();
    flop_counters(state, w, batch);
}

bench::ServedPeer* pytorch = nullptr;

void run_pytorch(benchmark::State& state, const Workload& w) {
    const int batch = int(state.range(0));
    if (!pytorch->available() || !pytorch->prepare(w.name, batch)) {
        state.SkipWithError(pytorch->why().c_str());
        return;
    }
    for (auto _ : state) state.SetIterationTime(pytorch->time_one_call());
    flop_counters(state, w, batch);
}

void run_reference(benchmark::State& state, const Workload& w) {
    Weights weights = Weights::for_net(w.spec);
    weights.fill_random(1);
    const Tensor in = random_tensor(1, w.spec.input, 2);
    const ref::Tensor x = ref::from_kiln(in);
    for (auto _ : state) benchmark::DoNotOptimize(ref::run_layers(w.spec.layers, weights, x));
    flop_counters(state, w, 1);
}

// KILN_BENCH_TUNING names a tuning file (kiln-tune, run by scripts/bench.sh on this machine first):
// the `fused-tuned` rows are `fused` with its measured plans, beside the cost model's `fused`.
const codegen::Tuning& bench_tuning() {
    static const codegen::Tuning tuning = [] {
        const char* path = std::getenv("KILN_BENCH_TUNING");
        return path && *path ? codegen::Tuning::load(path) : codegen::Tuning{};
    }();
    return tuning;
}

// Compiled once per (workload, schedule, batch): Google Benchmark calls a benchmark once per
// repetition, and compile time is not what is measured.
const codegen::JitNet* compiled(const Workload& w, const std::string& schedule, int batch, std::string& error) {
    static std::map<std::string, std::unique_ptr<codegen::JitNet>> cache;
    static std::map<std::string, std::string> errors;
    const std::string key = w.name + "/" + schedule + "/" + std::to_string(batch);
    if (!cache.count(key) && !errors.count(key)) {
        try {
            codegen::JitOptions options{schedule, batch};
            if (schedule == "fused-tuned") options.schedule = "fused", options.tuning = bench_tuning();
            if (schedule == "fused-whole") options.schedule = "fused", options.pipelines = codegen::JitOptions::Pipelines::whole_net;
            cache[key] = std::make_unique<codegen::JitNet>(w.spec, options);
        } catch (const kiln::Error& e) {
            errors[key] = e.what();
        }
    }
    if (errors.count(key)) {
        error = errors[key];
        return nullptr;
    }
    return cache[key].get();
}

void run_schedule(benchmark::State& state, const Workload& w, const std::string& schedule) {
    const int batch = int(state.range(0));
    std::string error;
    const codegen::JitNet* net = compiled(w, schedule, batch, error);
    if (!net) {
        state.SkipWithError(error.c_str());
        return;
    }
    Weights weights = Weights::for_net(w.spec);
    weights.fill_random(1);
    const Tensor in = random_tensor(std::size_t(batch), w.spec.input, 2);
    Tensor out(std::size_t(batch), w.spec.output);
    for (int i = 0; i < 3; ++i) net->run(in, weights, out);  // warm up: first touch, thread pool
    for (auto _ : state) {
        net->run(in, weights, out);
        benchmark::DoNotOptimize(out.data());
    }
    flop_counters(state, w, batch);
    if (schedule == "fused-tuned") {  // how many groups the tuning file reached (0: it is `fused`)
        const std::string& plans = net->lowered().schedule_plan;
        int tuned = 0;
        for (auto at = plans.find("(tuned"); at != std::string::npos; at = plans.find("(tuned", at + 1)) ++tuned;
        state.counters["tuned_groups"] = tuned;
    }
    if (schedule.rfind("fused", 0) == 0 || schedule == "unfused") {  // the autoschedulers' placement is not known to kiln
        double bytes = 0;
        for (const auto& b : codegen::stored_blocks(net->lowered(), batch)) bytes += b.bytes_read + b.bytes_written;
        state.counters["MiB_moved"] = bytes / (1024.0 * 1024.0);
    }
}

// A kernel generated at build time (kiln_add_net), called as a user's program calls it.
template <class Kernel>
void run_aot(benchmark::State& state, const Workload& w) {
    const int batch = int(state.range(0));
    Weights weights = Weights::for_net(w.spec);
    weights.fill_random(1);
    const Tensor in = random_tensor(std::size_t(batch), w.spec.input, 2);
    Tensor out(std::size_t(batch), w.spec.output);
    for (int i = 0; i < 3; ++i) Kernel::run(in, weights, out);  // warm up: first touch, thread pool
    for (auto _ : state) {
        Kernel::run(in, weights, out);
        benchmark::DoNotOptimize(out.data());
    }
    flop_counters(state, w, batch);
}

// JIT compile time, cold: per segment (the default for `fused`) against the whole net as one
// Halide pipeline, one compile per repetition. Planned for batch 3, which no timed row uses, so no
// compiled pipeline of another row (they stay alive for the run) can serve it from the cache.
void compile_time(benchmark::State& state, const Workload& w, codegen::JitOptions::Pipelines pipelines) {
    codegen::JitOptions options{"fused", 3};
    options.pipelines = pipelines;
    for (auto _ : state) {
        codegen::JitNet::forget_unused_pipelines();
        const auto start = std::chrono::steady_clock::now();
        const codegen::JitNet net(w.spec, options);
        state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        state.counters["pipelines"] = double(net.pipeline_count());
    }
}

// Every benchmark registered, with its batch argument: what ProgressReporter counts against.
std::vector<std::string> registered;

template <class F, class... Args>
benchmark::internal::Benchmark* register_named(const std::string& name, F f, Args&&... args) {
    registered.push_back(name);
    return benchmark::RegisterBenchmark(name.c_str(), f, std::forward<Args>(args)...);
}

template <class F, class... Args>
void add(const std::string& name, int batch, F f, Args&&... args) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), f, std::forward<Args>(args)...);
    registered.push_back(name + "/" + std::to_string(batch));
    b->Arg(batch)->Unit(benchmark::kMillisecond)->Repetitions(9)->ReportAggregatesOnly();
    if (name.find("/pytorch") != std::string::npos) b->UseManualTime();
    else b->UseRealTime();
    if (name.find("/reference") != std::string::npos) b->Iterations(1)->Repetitions(3);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        bench_tuning();
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "schedules_bench: KILN_BENCH_TUNING: %s\n", e.what());
        return 2;
    }
    std::vector<std::string> all = {"fused", "unfused", "auto-mullapudi2016", "auto-adams2019", "auto-li2018"};
    // fused-whole: fused as one Halide pipeline, on the nets `fused` splits into several, for what
    // the split costs at run time.
    std::vector<std::string> fused_unfused = {"fused", "unfused", "fused-whole"};
    if (!bench_tuning().entries.empty()) all.push_back("fused-tuned"), fused_unfused.push_back("fused-tuned");
    std::vector<std::string> w5 = all;
    w5.push_back("fused-whole");
    static const std::vector<Workload> workloads = {
        workload<nets::W1>("W1", {1, 128}, all),
        workload<nets::W2>("W2", {1, 128}, all),
        workload<nets::W3>("W3", {1, 8}, all),
        workload<nets::W4>("W4", {1, 8}, all),
        workload<nets::Cifar10Model4>("W5", {1, 128}, w5),
        workload<nets::W6>("W6", {1, 8}, all),
        workload<nets::W6Depthwise>("W6dw", {1, 8}, all),
        workload<nets::GoogLeNet>("GoogLeNet", {1}, fused_unfused),
    };
    static bench::ServedPeer peer({std::getenv("KILN_PYTHON") ? std::getenv("KILN_PYTHON") : "/usr/bin/python3",
                                   KILN_BENCH_DIR "/pytorch_blocks.py", "--serve"});
    pytorch = &peer;

    const dnnl_version_t* dnnl = dnnl_version();
    benchmark::AddCustomContext("cpu", bench::cpu_model());
    benchmark::AddCustomContext("threads", std::to_string(std::thread::hardware_concurrency()));
    benchmark::AddCustomContext("halide", KILN_HALIDE_VERSION);
    benchmark::AddCustomContext("onednn", std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." + std::to_string(dnnl->patch));
    benchmark::AddCustomContext("tuning", bench_tuning().entries.empty() ? "none (no fused-tuned rows)"
                                                                         : std::getenv("KILN_BENCH_TUNING"));
    benchmark::AddCustomContext("torch", peer.available() ? peer.version() : "unavailable: " + peer.why());

    register_named("ceiling/fma", bench::fma_ceiling)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
    register_named("ceiling/memory", memory_ceiling)->UseRealTime()->Repetitions(5)->ReportAggregatesOnly();
    // ResNet-18 is timed for its compile only (no oneDNN peer for residual blocks here).
    static const std::vector<Workload> compiled_only = {workload<nets::ResNet18>("ResNet-18", {}, {})};
    std::vector<const Workload*> compile_workloads = {&compiled_only.front()};
    for (const auto& w : workloads)
        if (w.name == "W5" || w.name == "GoogLeNet") compile_workloads.push_back(&w);  // W1-W4 are one segment each
    for (const Workload* wp : compile_workloads) {
        const Workload& w = *wp;
        for (auto [mode, pipelines] : {std::pair{"per_segment", codegen::JitOptions::Pipelines::per_segment},
                                       std::pair{"whole_net", codegen::JitOptions::Pipelines::whole_net}})
            register_named("compile/" + w.name + "/fused/" + mode, compile_time, w, pipelines)
                ->UseManualTime()->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(w.name == "W5" ? 3 : 1);
    }
    for (const auto& w : workloads)
        for (int batch : w.batches) {
            for (const auto& s : w.schedules) add(w.name + "/" + s, batch, run_schedule, w, s);
            add(w.name + "/onednn", batch, run_onednn, w);
            add(w.name + "/pytorch", batch, run_pytorch, w);
            if (batch == 1 && w.name == "W5") {
                add(w.name + "/aot", batch, run_aot<kiln_kernels::bench_w5_aot>, w);
                add(w.name + "/aot-whole", batch, run_aot<kiln_kernels::bench_w5_aot_whole>, w);
            }
            if (batch == 1 && w.name == "GoogLeNet") add(w.name + "/aot", batch, run_aot<kiln_kernels::bench_googlenet_aot>, w);
            if (batch == 1) add(w.name + "/reference", batch, run_reference, w);
        }
    bench::register_training_rows(peer, registered);
    bench::register_inception_reduce_rows(registered);
    // Before Initialize, which takes Google Benchmark's flags out of argv.
    bool interleaved = false;
    for (int i = 1; i < argc; ++i) interleaved = interleaved || std::string(argv[i]).find("random_interleaving=true") != std::string::npos;
    benchmark::Initialize(&argc, argv);
    bench::ProgressReporter progress(bench::count_selected(registered, benchmark::GetBenchmarkFilter()), interleaved);
    benchmark::RunSpecifiedBenchmarks(&progress);
    benchmark::Shutdown();
}
