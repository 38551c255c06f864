// Weights prepared once (JitOptions::packed_weights, JitNet::prepare): the packed layout against a
// plain loop, packed nets against the reference evaluator on fresh random data, and every misuse a
// clear error.
#include <cmath>

#include "kiln/codegen/jit.hpp"
#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

codegen::JitOptions packed(const std::string& schedule, int batch_estimate = 1) {
    codegen::JitOptions options{schedule, batch_estimate};
    options.packed_weights = true;
    return options;
}

// Convs of every kind a plan packs: channel counts that fill a block and ones that leave the last
// block part empty (40 = 2.5 vectors of 16, 24), strided and padded, grouped, depthwise then
// pointwise (computed inside the pointwise tiles), under a pool, in a residual block and a concat,
// and a conv too narrow for whole vectors (7 channels: its weights stay as they are).
using Mixed = Net<Input<14, 13, 6>, Conv<40, Kernel<3>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                  Conv<24, Kernel<3>, Stride<2>, Pad<1>>, Relu,
                  Residual<Body<Conv<24, Kernel<3>, Same>, Relu, Conv<24, Kernel<1>>>>, Relu,
                  Conv<32, Kernel<3>, Same, Groups<4>>, Relu, DepthwiseConv<32, Kernel<3>, Pad<1>>, Relu, Conv<48, Kernel<1>>, Relu,
                  Concat<Branch<Conv<16, Kernel<1>>, Relu>, Branch<Conv<7, Kernel<3>, Same>>>, GlobalAvgPool, Dense<10>>;

// Random weights and a random input batch for `spec`, from the test's printed seed.
struct RandomCase {
    Weights weights;
    Tensor input;
    RandomCase(const NetSpec& spec, std::size_t batch, const std::string& test_name)
        : weights(Weights::for_net(spec)), input(batch, spec.input) {
        auto rng = test::rng_for(test_name);
        weights.fill_random(rng());
        test::fill_uniform(input, rng);
    }
};

}  // namespace

TEST_CASE("prepared weights: the packed layout is (o % B, i, kx, ky, o / B), zero past the last channel") {
    auto rng = test::rng_for("packed layout");
    ParamSpec spec{"l1_conv.weights", "weights", "HWIO", {37, 5, 3, 2}};
    std::vector<float> w(std::size_t(spec.elements()));
    for (float& v : w) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    for (int block : {1, 8, 16, 32}) {
        INFO("block " << block);
        const Halide::Buffer<float> p = codegen::pack_conv_weights(w, spec, codegen::WeightPacking{block});
        REQUIRE(p.dimensions() == 5);
        CHECK(p.dim(0).extent() == block);
        CHECK(p.dim(4).extent() == (37 + block - 1) / block);
        // Plain loops over the original dims: value (o, i, kx, ky) sits at o + O * (i + I * (kx + KW * ky)).
        int mismatches = 0;
        for (int ky = 0; ky < 2; ++ky)
            for (int kx = 0; kx < 3; ++kx)
                for (int i = 0; i < 5; ++i)
                    for (int o = 0; o < p.dim(4).extent() * block; ++o) {
                        const float want = o < 37 ? w[std::size_t(o + 37 * (i + 5 * (kx + 3 * ky)))] : 0.0f;
                        mismatches += p(o % block, i, kx, ky, o / block) != want;
                    }
        CHECK(mismatches == 0);
    }
    CHECK_THROWS_WITH_AS(codegen::pack_conv_weights(w, spec, codegen::WeightPacking{0}), doctest::Contains("block 0"), Error);
}

TEST_CASE("prepared weights: packed nets compute the reference's answer, prepared or not") {
    const NetSpec spec = describe<Mixed>();
    const RandomCase random(spec, 3, "packed nets");
    const Weights& w = random.weights;
    const Tensor& input = random.input;
    const ref::Tensor want = ref::run_net(spec, w, test::to_ref(input));
    for (const std::string schedule : {"fused", "unfused"})
        for (int batch_estimate : {1, 8}) {
            INFO("schedule " << schedule << ", planned for batch " << batch_estimate);
            const codegen::JitNet net(spec, packed(schedule, batch_estimate));
            // Some conv reads packed weights, and the 7-channel conv does not.
            const codegen::Lowered& lowered = net.lowered();
            CHECK(!lowered.plan_weight_packing.empty());
            int narrow = 0;
            for (const codegen::LayerStages& layer : lowered.layers) {
                const auto* conv = std::get_if<ConvAttrs>(&layer.spec->attrs);
                if (!conv || conv->filters != 7) continue;
                ++narrow;
                for (const ParamSpec& p : layer.spec->params) CHECK(lowered.plan_weight_packing.count(p.name) == 0);
            }
            CHECK(narrow == 1);
            const codegen::PreparedWeights prepared = net.prepare(w);
            CHECK(prepared.bytes() >= 4 * std::size_t(spec.param_count));
            test::check_close(net.run(input, prepared), want, 2e-5);
            test::check_close(net.run(input, w), want, 2e-5);  // packed on the call
        }
}

TEST_CASE("prepared weights: made for one net and its plans, and a copy") {
    using Small = Net<Input<8, 8, 4>, Conv<32, Kernel<3>, Same>, Relu, Conv<16, Kernel<1>>>;
    using Other = Net<Input<8, 8, 4>, Conv<32, Kernel<3>, Same>, Relu, Conv<8, Kernel<1>>>;
    const NetSpec spec = describe<Small>();
    RandomCase random(spec, 2, "packed misuse");
    Weights& w = random.weights;
    const Tensor& input = random.input;
    const codegen::JitNet net(spec, packed("fused"));
    const codegen::PreparedWeights prepared = net.prepare(w);

    CHECK_THROWS_WITH_AS(net.run(input, codegen::PreparedWeights{}), doctest::Contains("empty"), Error);
    const codegen::JitNet other(describe<Other>(), packed("fused"));
    CHECK_THROWS_WITH_AS(other.run(Tensor(2, spec.input), prepared), doctest::Contains("another net"), Error);
    // The same net compiled without packing reads other layouts.
    const codegen::JitNet plain(spec, codegen::JitOptions{"fused"});
    CHECK_THROWS_WITH_AS(plain.run(input, prepared), doctest::Contains("other plans or packing"), Error);
    CHECK_THROWS_WITH_AS(net.run(input, plain.prepare(w)), doctest::Contains("other plans or packing"), Error);
    // Weights of another net are refused by prepare, as run refuses them.
    Weights wrong = Weights::for_net(describe<Other>());
    CHECK_THROWS_AS(net.prepare(wrong), Error);
    // A wrong input is refused as run(input, weights) refuses it.
    CHECK_THROWS_WITH_AS(net.run(Tensor(2, Shape{8, 8, 3}), prepared), doctest::Contains("input"), Error);

    // Prepared weights hold a copy: changing the weights afterwards changes nothing until prepared again.
    const ref::Tensor before = ref::run_net(spec, w, test::to_ref(input));
    for (float& v : w["l1_conv.weights"]) v = -v;
    test::check_close(net.run(input, prepared), before, 2e-5);
    test::check_close(net.run(input, net.prepare(w)), ref::run_net(spec, w, test::to_ref(input)), 2e-5);
}

TEST_CASE("prepared weights: time_segments times each pipeline, named by the net's layers") {
    using Blocks = Net<Input<12, 12, 8>, Conv<16, Kernel<3>, Same>, Relu,
                       Residual<Body<Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>>>, Relu, Conv<32, Kernel<1>>, GlobalAvgPool>;
    const NetSpec spec = describe<Blocks>();
    const RandomCase random(spec, 2, "time segments");
    const Weights& w = random.weights;
    const Tensor& input = random.input;
    const codegen::JitNet net(spec, packed("fused"));
    const auto times = net.time_segments(input, net.prepare(w), 3);
    REQUIRE(times.size() == net.pipeline_count());
    REQUIRE(times.size() == 3);  // conv + relu, the residual block + relu, conv + pool
    CHECK(times.front().first_layer == spec.layers.front().name);
    CHECK(times.back().last_layer == spec.layers.back().name);
    CHECK(times[1].first_layer == spec.layers[2].name);  // the Residual
    extent_t macs = 0;
    for (const auto& t : times) {
        CHECK(t.seconds > 0);
        macs += t.macs;
    }
    CHECK(macs == spec.macs);
    CHECK_THROWS_WITH_AS(net.time_segments(input, net.prepare(w), 0), doctest::Contains("at least 1"), Error);
}
