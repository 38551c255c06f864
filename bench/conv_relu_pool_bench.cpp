// W1 and W2 of the benchmark plan (TensorFlow CIFAR-10 conv1 and conv2 blocks: conv 5x5x64 'same',
// ReLU, 3x3/2 'same' max pool) at batch 1, kiln's JIT `default` schedule beside the plain reference
// loop, in one run. GFLOP/s counts 2 flops per nominal MAC (padding taps included). The fused
// schedules and the peers (oneDNN, PyTorch) come with the benchmark issue.
#include <benchmark/benchmark.h>

#include <kiln/codegen/jit.hpp>
#include <kiln/dsl.hpp>
#include <random>

#include "reference/reference.hpp"

namespace {
using namespace kiln;

using W1 = Net<Input<24, 24, 3>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
using W2 = Net<Input<12, 12, 64>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;

template <class N>
void kiln_default(benchmark::State& state) {
    static auto net = codegen::JitNet::compile<N>();
    Weights w = Weights::for_net(net.spec());
    w.fill_random(1);
    Tensor in = Tensor::for_input<N>(state.range(0));
    Tensor out = Tensor::for_output<N>(state.range(0));
    std::mt19937 rng(2);
    for (auto& v : in.values()) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    net.run(in, w, out);  // warm up: first touch of every buffer
    for (auto _ : state) {
        net.run(in, w, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(N::mac_count) * double(state.range(0)),
                                                   benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

template <class N>
void reference_loop(benchmark::State& state) {
    constexpr Shape s = N::input_shape;
    ref::Tensor in(state.range(0), s.h, s.w, s.c);
    std::mt19937 rng(2);
    for (auto& v : in.v) v = std::uniform_real_distribution<double>(-1, 1)(rng);
    std::vector<double> weights(std::size_t(25 * s.c * 64), 0.01), bias(64, 0.1);
    const ref::Window conv{5, 5, 1, 1, 1, 1, 2, 2, 2, 2};
    const long pool_pad_end = (s.h / 2 - 1) * 2 + 3 - s.h;  // TensorFlow 'same' for 3x3/2 on an even extent
    const ref::Window pool{3, 3, 2, 2, 1, 1, 0, pool_pad_end, 0, pool_pad_end};
    for (auto _ : state) {
        auto y = ref::max_pool(ref::map(ref::conv(in, weights, &bias, 64, conv, false), [](double v) { return v > 0 ? v : 0; }), pool);
        benchmark::DoNotOptimize(y.v.data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(N::mac_count) * double(state.range(0)),
                                                   benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
}  // namespace

BENCHMARK(kiln_default<W1>)->Name("W1/kiln_default")->Arg(1)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
BENCHMARK(reference_loop<W1>)->Name("W1/reference_loop")->Arg(1)->UseRealTime()->Repetitions(3)->ReportAggregatesOnly();
BENCHMARK(kiln_default<W2>)->Name("W2/kiln_default")->Arg(1)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
BENCHMARK(reference_loop<W2>)->Name("W2/reference_loop")->Arg(1)->UseRealTime()->Repetitions(3)->ReportAggregatesOnly();
BENCHMARK_MAIN();
