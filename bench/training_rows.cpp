// See training_rows.hpp.
#include "training_rows.hpp"

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>

#include "kiln/codegen/train.hpp"
#include "nets/cifar10.hpp"
#include "nets/fashion.hpp"

namespace bench {

namespace {

using namespace kiln;

struct TrainWorkload {
    std::string name;  // as pytorch_blocks.py's TRAIN_WORKLOADS names it
    NetSpec spec;
};

void counters(benchmark::State& state, const TrainWorkload& w, int batch) {
    using benchmark::Counter;
    state.counters["images/s"] = Counter(batch, Counter::kIsIterationInvariantRate);
    state.counters["GFLOP/s"] = Counter(3.0 * 2.0 * double(w.spec.macs) * batch, Counter::kIsIterationInvariantRate, Counter::kIs1000);
}

void train_kiln(benchmark::State& state, const TrainWorkload& w, const std::string& schedule) {
    const int batch = int(state.range(0));
    codegen::TrainOptions options{codegen::Optimizer::sgd(codegen::LearningRate::constant(0.01f), 0.9f), batch};
    options.schedule = schedule;
    codegen::TrainNet trainer(w.spec, options);
    Weights weights = trainer.initial_weights(1);
    Tensor images(batch, w.spec.input);
    std::mt19937 rng(2);
    for (float& v : images.values()) v = std::uniform_real_distribution<float>(0, 1)(rng);
    std::vector<int> labels(static_cast<std::size_t>(batch));
    for (auto& l : labels) l = int(rng() % std::uint32_t(w.spec.output.c));
    for (int i = 0; i < 3; ++i) trainer.step(images, labels, weights);  // warm up
    for (auto _ : state) benchmark::DoNotOptimize(trainer.step(images, labels, weights));
    counters(state, w, batch);
}

void train_pytorch(benchmark::State& state, const TrainWorkload& w, ServedPeer* pytorch) {
    const int batch = int(state.range(0));
    if (!pytorch->available() || !pytorch->prepare_training(w.name, batch)) {
        state.SkipWithError(pytorch->why().c_str());
        return;
    }
    for (auto _ : state) state.SetIterationTime(pytorch->time_one_call());
    counters(state, w, batch);
}

}  // namespace

void register_training_rows(ServedPeer& pytorch, std::vector<std::string>& registered) {
    static const std::vector<TrainWorkload> workloads = {{"FashionTwoConv", describe<nets::FashionTwoConv>()},
                                                         {"FashionTwoConvBn", describe<nets::FashionTwoConvBn>()},
                                                         {"CIFAR10-model1", describe<nets::Cifar10Model1>()}};
    for (const auto& w : workloads) {
        const int batch = 64;
        // kiln's backward pass (`unfused`, the default, and `fused`), and Halide's autodiff under Mullapudi2016.
        const std::string kiln_row = w.name + "-train/kiln", fused_row = w.name + "-train/kiln-fused",
                          autodiff_row = w.name + "-train/kiln-autodiff", torch_row = w.name + "-train/pytorch";
        benchmark::RegisterBenchmark(kiln_row.c_str(), train_kiln, w, std::string("unfused"))
            ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
        benchmark::RegisterBenchmark(fused_row.c_str(), train_kiln, w, std::string("fused"))
            ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
        benchmark::RegisterBenchmark(autodiff_row.c_str(), train_kiln, w, std::string("auto-mullapudi2016"))
            ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(5)->ReportAggregatesOnly();
        benchmark::RegisterBenchmark(torch_row.c_str(), train_pytorch, w, &pytorch)
            ->Arg(batch)->Unit(benchmark::kMillisecond)->UseManualTime()->Repetitions(9)->ReportAggregatesOnly();
        registered.push_back(kiln_row + "/" + std::to_string(batch));
        registered.push_back(fused_row + "/" + std::to_string(batch));
        registered.push_back(autodiff_row + "/" + std::to_string(batch));
        registered.push_back(torch_row + "/" + std::to_string(batch));
    }
}

}  // namespace bench
