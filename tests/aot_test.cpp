// Ahead-of-time kernels, called the way a user's program calls them: through the generated typed
// headers, linked against the generated libraries and kiln::runtime only (this binary has no
// libHalide; CTest aot.links_without_libhalide checks). Results against the reference evaluator.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "aot/nets.hpp"
#include "branchy_segments.hpp"
#include "branchy_whole.hpp"
#include "cifar10_fused.hpp"
#include "cifar10_model4_fused.hpp"
#include "nets/cifar10.hpp"
#include "reference/compare.hpp"
#include "reference/reference_net.hpp"
#include "w1_tuned.hpp"
#include "w1_unfused.hpp"

namespace {

std::mt19937_64 fresh_rng() {
    const char* fixed = std::getenv("KILN_SEED");
    const std::uint64_t seed = fixed ? std::stoull(fixed) : std::random_device{}();
    MESSAGE("aot tests: seed " << seed << " (replay with KILN_SEED=" << seed << ")");
    return std::mt19937_64(seed);
}

kiln::Weights random_weights(const kiln::NetSpec& spec, std::mt19937_64& rng) {
    kiln::Weights w = kiln::Weights::for_net(spec);
    w.fill_random(rng());
    return w;
}

kiln::Tensor random_input(std::size_t batch, kiln::Shape shape, std::mt19937_64& rng) {
    kiln::Tensor input(batch, shape);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& v : input.values()) v = u(rng);
    return input;
}

template <class Kernel>
void check_kernel(const kiln::NetSpec& spec, std::size_t batch, std::mt19937_64& rng) {
    const kiln::Weights w = random_weights(spec, rng);
    const kiln::Tensor input = random_input(batch, Kernel::input_shape, rng);
    const kiln::Tensor out = Kernel::run(input, w);
    CHECK(ref::relative_error(out, ref::run_net(spec, w, ref::from_kiln(input))) <= 1e-5);
}

}  // namespace

TEST_CASE("AOT kernels match the reference: W1 unfused and tuned, TF CIFAR-10 and model 4 fused") {
    auto rng = fresh_rng();
    check_kernel<kiln_kernels::w1_unfused>(kiln::describe<aot_nets::W1>(), 3, rng);
    // kiln_add_net(... MACHINE generic,cores=3) reached the plan.
    CHECK(std::string(kiln_kernels::w1_unfused::machine).find("generic: ") != std::string::npos);
    CHECK(std::string(kiln_kernels::w1_unfused::machine).find(" 3 cores,") != std::string::npos);
    // kiln_add_net(... TUNING file) reached the plan, and the tuned kernel is right.
    check_kernel<kiln_kernels::w1_tuned>(kiln::describe<aot_nets::W1>(), 2, rng);
    const std::string tuned_plans = kiln_kernels::w1_tuned::plans;
    const bool one_vector_tile = tuned_plans.find("register tiles 8 ch x 8 cols") != std::string::npos ||
                                 tuned_plans.find("register tiles 16 ch x 8 cols") != std::string::npos;
    CHECK(one_vector_tile);
    CHECK(tuned_plans.find("3 bands of 4 rows x batch 1") != std::string::npos);
    CHECK(tuned_plans.find(" (tuned)\n") != std::string::npos);
    CHECK(std::string(kiln_kernels::w1_unfused::plans).find(" (cost model)\n") != std::string::npos);
    check_kernel<kiln_kernels::cifar10_fused>(kiln::describe<nets::TensorFlowCifar10>(), 2, rng);
    check_kernel<kiln_kernels::cifar10_model4_fused>(kiln::describe<nets::Cifar10Model4>(), 2, rng);
}

// A kernel generated per segment runs its segments in order over tensors of its own, each Concat
// branch writing its slice (of an intermediate tensor, or of the caller's output for the last
// layer); at shrinking and growing batches, since the tensors between segments are kept between calls.
TEST_CASE("AOT kernels per segment match the reference and the same net as one pipeline") {
    using Segmented = kiln_kernels::branchy_segments;
    using Whole = kiln_kernels::branchy_whole;
    auto rng = fresh_rng();
    const auto spec = kiln::describe<aot_nets::Branchy>();
    CAPTURE(Segmented::pipelines);
    CHECK(std::string(Segmented::pipelines).rfind("per segment: ", 0) == 0);
    CHECK(std::string(Segmented::pipelines).find("(repeated blocks share one)") != std::string::npos);
    CHECK(std::string(Whole::pipelines) == "whole net: one pipeline");
    for (std::size_t batch : {3, 1, 5}) {
        CAPTURE(batch);
        check_kernel<Segmented>(spec, batch, rng);
        check_kernel<Whole>(spec, batch, rng);
    }
}

// Calls from several threads at once, each at its own batch, each with the tensors between
// segments of its own: every result is the one a lone call gives.
TEST_CASE("AOT kernels per segment run from several threads at once") {
    using K = kiln_kernels::branchy_segments;
    auto rng = fresh_rng();
    const auto spec = kiln::describe<aot_nets::Branchy>();
    const kiln::Weights w = random_weights(spec, rng);
    std::vector<kiln::Tensor> inputs, alone;
    for (std::size_t t = 0; t < 4; ++t) {
        inputs.push_back(random_input(t + 1, K::input_shape, rng));
        alone.push_back(K::run(inputs.back(), w));
    }
    std::vector<int> mismatches(inputs.size(), 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < inputs.size(); ++t)
        threads.emplace_back([&, t] {
            for (int call = 0; call < 50; ++call) {
                const kiln::Tensor got = K::run(inputs[t], w);
                if (!std::equal(got.values().begin(), got.values().end(), alone[t].values().begin())) ++mismatches[t];
            }
        });
    for (auto& th : threads) th.join();
    for (std::size_t t = 0; t < inputs.size(); ++t) CHECK_MESSAGE(mismatches[t] == 0, "thread " << t);
}

// Weights are found by name: tensors listed in another order give the same answer.
TEST_CASE("AOT kernels take weights whose tensors are in another order") {
    using K = kiln_kernels::w1_unfused;
    auto rng = fresh_rng();
    const auto spec = kiln::describe<aot_nets::W1>();
    kiln::Weights w = kiln::Weights::for_net(spec);
    w.fill_random(rng());
    std::vector<kiln::ParamSpec> reversed = kiln::all_params(spec);
    std::reverse(reversed.begin(), reversed.end());
    kiln::Weights other_order(reversed, kiln::net_signature(spec));
    for (const auto& p : reversed) other_order[p.name] = w[p.name];
    kiln::Tensor input(2, K::input_shape);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& v : input.values()) v = u(rng);
    const kiln::Tensor a = K::run(input, w), b = K::run(input, other_order);
    CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
    CHECK(ref::relative_error(b, ref::run_net(spec, w, ref::from_kiln(input))) <= 1e-5);
}

TEST_CASE("AOT misuse is a clear error, never a crash") {
    using K = kiln_kernels::w1_unfused;
    const auto spec = kiln::describe<aot_nets::W1>();
    kiln::Weights w = kiln::Weights::for_net(spec);
    kiln::Tensor input(1, K::input_shape), output(1, K::output_shape);
    kiln::Tensor wrong(1, kiln::Shape{24, 23, 3});
    CHECK_THROWS_WITH_AS(K::run(wrong, w, output), doctest::Contains("input tensor has shape 24x23x3"), kiln::Error);
    kiln::Tensor wrong_batch(2, K::output_shape);
    CHECK_THROWS_WITH_AS(K::run(input, w, wrong_batch), doctest::Contains("batch 2 but the input has 1"), kiln::Error);
    CHECK_THROWS_WITH_AS(K::run(input, kiln::Weights{}, output), doctest::Contains("l1_conv.weights"), kiln::Error);
    // Input and output the same tensor (W1's shapes differ, so the call is built by hand).
    kiln::Tensor same(1, K::input_shape);
    CHECK_THROWS_WITH_AS(kiln::aot::Call("w1_unfused", K::input_shape, K::input_shape, same, same),
                         doctest::Contains("output tensor is the input tensor"), kiln::Error);
    kiln::Tensor moved = std::move(input);
    CHECK_THROWS_WITH_AS(K::run(input, w, output), doctest::Contains("input tensor is empty"), kiln::Error);
    input = std::move(moved);
    // Weights of another net with the same tensor names and sizes (the kernel flipped, same shapes).
    using Flipped = kiln::Net<kiln::Input<24, 24, 3>, kiln::Conv<64, kiln::Kernel<5>, kiln::Same, kiln::TrueConvolution>,
                              kiln::Relu, kiln::MaxPool<kiln::Window<3>, kiln::Stride<2>, kiln::Same>>;
    CHECK_THROWS_WITH_AS(K::run(input, kiln::Weights::for_net(kiln::describe<Flipped>()), output),
                         doctest::Contains("made for another net"), kiln::Error);

    // A buffer the typed header would never build, handed to the C entry point: the Halide runtime's
    // own check fails, and its message comes back as kiln::Error rather than an abort.
    kiln::aot::Call call("w1_unfused", K::input_shape, K::output_shape, input, output);
    kiln::aot::Buffer weights(w["l1_conv.weights"].data(), {64, 3, 5, 4});  // kernel rows 5 -> 4
    kiln::aot::Buffer bias = call.weight(w, K::params()[1]);
    CHECK_THROWS_WITH_AS(call.finish(::w1_unfused(call.input(), weights.get(), bias.get(), call.output())),
                         doctest::Contains("l1_conv_weights"), kiln::Error);

    // The driver in front of the kernel's pipelines checks the caller's buffers before it sizes
    // the tensors between segments by them.
    kiln::aot::Buffer good_weights = call.weight(w, K::params()[0]);
    kiln::Tensor two(2, K::output_shape);
    kiln::aot::Buffer two_out = kiln::aot::tensor_buffer(two);
    CHECK_THROWS_WITH_AS(call.finish(::w1_unfused(call.input(), good_weights.get(), bias.get(), two_out.get())),
                         doctest::Contains("w1_unfused: the output buffer has batch 2 but the input has 1"), kiln::Error);
    kiln::aot::Buffer narrow(output.data(), {32, 12, 12, 1});
    CHECK_THROWS_WITH_AS(call.finish(::w1_unfused(call.input(), good_weights.get(), bias.get(), narrow.get())),
                         doctest::Contains("the output buffer is not 12x12x64"), kiln::Error);
    halide_buffer_t query = *call.input();
    query.host = nullptr;
    CHECK_THROWS_WITH_AS(call.finish(::w1_unfused(&query, good_weights.get(), bias.get(), call.output())),
                         doctest::Contains("answer no bounds queries"), kiln::Error);
    CHECK_THROWS_WITH_AS(call.finish(::w1_unfused(nullptr, good_weights.get(), bias.get(), call.output())),
                         doctest::Contains("the input buffer is null"), kiln::Error);
    call.finish(::w1_unfused(call.input(), good_weights.get(), bias.get(), call.output()));
}
