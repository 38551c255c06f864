// See inception_reduce_rows.hpp.
#include "inception_reduce_rows.hpp"

#include <benchmark/benchmark.h>

#include <memory>

#include "kiln/codegen/jit.hpp"
#include "kiln/dsl.hpp"
#include "kiln/dsl/net_of_layers.hpp"

namespace bench {

namespace {

using namespace kiln;

// One 1x1 conv + ReLU over a module's input, compiled and ready to run at batch 1.
struct Pointwise {
    codegen::JitNet net;
    Weights weights;
    Tensor input, output;

    Pointwise(Shape in, long filters)
        : net(net_spec(in, filters), codegen::JitOptions{"fused", 1}),
          weights(Weights::for_net(net.spec())),
          input(1, in),
          output(1, net.spec().output) {
        weights.fill_random(1);
        for (float& v : input.values()) v = 0.5f;
    }

    static NetSpec net_spec(Shape in, long filters) {
        ConvAttrs conv;
        conv.filters = filters, conv.kernel = Extent2{1, 1};
        ActivationAttrs relu;
        relu.function = ActivationFunction::relu;
        return net_of_layers({make_layer_spec(conv, in, "1"), make_layer_spec(relu, Shape{in.h, in.w, filters}, "2")});
    }
    void run() { net.run(input, weights, output); }
};

struct Module {
    const char* name;
    long size, channels;      // the module's input: size x size x channels
    long filters[3];          // 1x1 branch, 3x3 reduce, 5x5 reduce (GoogLeNet's table)
};

void run_module(benchmark::State& state, const Module& m, bool merged) {
    const Shape in{m.size, m.size, m.channels};
    std::vector<std::unique_ptr<Pointwise>> convs;
    if (merged) convs.push_back(std::make_unique<Pointwise>(in, m.filters[0] + m.filters[1] + m.filters[2]));
    else
        for (long f : m.filters) convs.push_back(std::make_unique<Pointwise>(in, f));
    for (auto& c : convs) c->run();  // warm up
    for (auto _ : state)
        for (auto& c : convs) c->run();
    const double macs = double(m.size * m.size * m.channels) * (m.filters[0] + m.filters[1] + m.filters[2]);
    state.counters["GFLOP/s"] = benchmark::Counter(2 * macs, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

}  // namespace

void register_inception_reduce_rows(std::vector<std::string>& registered) {
    static const Module modules[] = {{"3a", 28, 192, {64, 96, 16}},   {"3b", 28, 256, {128, 128, 32}},
                                     {"4a", 14, 480, {192, 96, 16}},  {"4b", 14, 512, {160, 112, 24}},
                                     {"4c", 14, 512, {128, 128, 24}}, {"4d", 14, 512, {112, 144, 32}},
                                     {"4e", 14, 528, {256, 160, 32}}, {"5a", 7, 832, {256, 160, 32}},
                                     {"5b", 7, 832, {384, 192, 48}}};
    for (const Module& m : modules)
        for (bool merged : {false, true}) {
            const std::string name = std::string("Inception") + m.name + "-1x1/" + (merged ? "merged" : "separate");
            benchmark::RegisterBenchmark(name.c_str(), run_module, m, merged)
                ->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(9)->ReportAggregatesOnly();
            registered.push_back(name + "/1");
        }
}

}  // namespace bench
