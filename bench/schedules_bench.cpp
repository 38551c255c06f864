// The benchmark plan's workloads under every kiln CPU schedule, in one run, interleaved:
//   W1 TF CIFAR-10 conv1 block  24x24x3   conv 5x5x64 same, ReLU, max-pool 3x3/2 same
//   W2 TF CIFAR-10 conv2 block  12x12x64  conv 5x5x64 same, ReLU, max-pool 3x3/2 same
//   W3 GoogLeNet stem           224x224x3 conv 7x7/2 x64 pad 3, ReLU, max-pool 3x3/2
//   W4 GoogLeNet conv2          56x56x64  conv 3x3x192 pad 1, ReLU, max-pool 3x3/2
//   W5 the lecture's CIFAR-10 model 4 end to end (three conv blocks, dense 10, softmax)
// GFLOP/s counts 2 flops per nominal MAC (taps in zero padding included). Buffers are allocated
// and touched once before timing. Args: batch. A schedule kiln refuses (an autoscheduler
// miscompile, see README) is reported as an error row, not timed.
#include <benchmark/benchmark.h>

#include <kiln/codegen/jit.hpp>
#include <kiln/dsl.hpp>
#include <map>
#include <memory>
#include <random>

#include "fma_ceiling.hpp"
#include "nets/cifar10.hpp"
#include "onednn_block.hpp"
#include "useful_macs.hpp"
#include "nets/workloads.hpp"

namespace {
using namespace kiln;

using nets::W1;
using nets::W2;
using nets::W3;
using nets::W4;
using W5 = nets::Cifar10Model4;

struct Workload {
    std::string name;
    NetSpec spec;
    extent_t macs;
    std::vector<int> batches;
    bool single_block;  // conv, ReLU, pool: oneDNN runs it too
};

template <class N>
Workload workload(const std::string& name, std::vector<int> batches, bool single_block) {
    return {name, describe<N>(), N::mac_count, std::move(batches), single_block};
}

void flop_counters(benchmark::State& state, const Workload& w, int batch) {
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(w.macs) * batch, benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1000);
    state.counters["useful_GFLOP/s"] = benchmark::Counter(2.0 * bench::useful_macs(w.spec.layers) * batch,
                                                          benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void run_onednn(benchmark::State& state, const Workload& w) {
    const int batch = int(state.range(0));
    bench::OneDnnBlock block(w.spec, batch);
    for (int i = 0; i < 3; ++i) block.run();
    for (auto _ : state) block.run();
    flop_counters(state, w, batch);
}

void fma_ceiling(benchmark::State& state) {
    double flops = 0;
    for (auto _ : state) flops += bench::fma_ceiling_flops(1 << 22);
    state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// Compiled once per (workload, schedule, batch): Google Benchmark calls a benchmark once per
// repetition, and compile time is not what is measured.
const codegen::JitNet* compiled(const Workload& w, const std::string& schedule, int batch, std::string& error) {
    static std::map<std::string, std::unique_ptr<codegen::JitNet>> cache;
    static std::map<std::string, std::string> errors;
    const std::string key = w.name + "/" + schedule + "/" + std::to_string(batch);
    if (!cache.count(key) && !errors.count(key)) {
        try {
            cache[key] = std::make_unique<codegen::JitNet>(w.spec, codegen::JitOptions{schedule, batch});
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
    Tensor in(std::size_t(batch), w.spec.input), out(std::size_t(batch), w.spec.output);
    std::mt19937 rng(2);
    for (auto& v : in.values()) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    for (int i = 0; i < 3; ++i) net->run(in, weights, out);  // warm up: first touch, thread pool
    for (auto _ : state) {
        net->run(in, weights, out);
        benchmark::DoNotOptimize(out.data());
    }
    flop_counters(state, w, batch);
}

}  // namespace

int main(int argc, char** argv) {
    static const std::vector<Workload> workloads = {
        workload<W1>("W1", {1, 128}, true), workload<W2>("W2", {1, 128}, true), workload<W3>("W3", {1, 8}, true),
        workload<W4>("W4", {1, 8}, true),   workload<W5>("W5", {1, 128}, false)};
    benchmark::RegisterBenchmark("ceiling/fma", fma_ceiling)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
    static const std::vector<std::string> schedules = {"fused", "unfused", "auto-mullapudi2016", "auto-adams2019",
                                                       "auto-li2018"};
    for (const auto& w : workloads)
        for (int batch : w.batches) {
            if (w.single_block)
                benchmark::RegisterBenchmark((w.name + "/onednn").c_str(), run_onednn, w)
                    ->Arg(batch)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond)
                    ->Repetitions(9)
                    ->ReportAggregatesOnly();
            for (const auto& s : schedules)
                benchmark::RegisterBenchmark((w.name + "/" + s).c_str(), run_schedule, w, s)
                    ->Arg(batch)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond)
                    ->Repetitions(9)
                    ->ReportAggregatesOnly();
        }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
