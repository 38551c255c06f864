// Segments (codegen/segments.hpp) and JIT nets compiled per segment: the split covers every layer
// and learned tensor once, renames repeated blocks alike, and a net run per segment computes what
// the reference computes, as the same net compiled as one pipeline does.
#include <set>

#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/segments.hpp"
#include "nets/googlenet.hpp"
#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;
using codegen::JitOptions;

namespace {

// A residual block, an inception-like concat, two equal conv blocks, and dense layers after them.
using Blocks = Net<Input<9, 10, 16>, Residual<Body<Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>>>, Relu,
                   Concat<Branch<Conv<32, Kernel<1>>, Relu>, Branch<Conv<8, Kernel<3>, Same>, Relu, MaxPool<Window<3>, Stride<1>, Same>>,
                          Branch<MaxPool<Window<3>, Stride<1>, Same>, Conv<16, Kernel<1>>>>,
                   Conv<56, Kernel<3>, Same>, Relu, Conv<56, Kernel<3>, Same>, Relu, MaxPool<Window<2>>, Dense<12>, Relu, Dense<5>, Softmax>;

void check_split(const NetSpec& net) {
    const std::vector<codegen::Segment> segments = codegen::split_into_segments(net);
    REQUIRE(!segments.empty());
    std::vector<std::string> names;
    std::size_t next = 0;
    for (const auto& s : segments) {
        CAPTURE(s.first);
        CHECK(s.first == next);
        CHECK(s.end > s.first);
        next = s.end;
        // A segment starts at a conv, a Concat or a Residual (the first may start anywhere), and
        // only there: a conv group is never cut.
        for (std::size_t i = s.first; i < s.end; ++i) {
            const LayerSpec& l = net.layers[i];
            const bool starts = std::holds_alternative<ConvAttrs>(l.attrs) || !l.children.empty();
            CHECK((i == s.first ? starts || s.first == 0 : !starts));
        }
        // The segment is its layers as a net, named from l1, shaped as in the net.
        REQUIRE(s.spec.layers.size() == s.end - s.first);
        CHECK(s.spec.layers.front().path == "1");
        CHECK(s.spec.layers.front().name.rfind("l1_", 0) == 0);
        CHECK(s.spec.input == net.layers[s.first].in);
        CHECK(s.spec.output == net.layers[s.end - 1].out);
        const std::vector<ParamSpec> own = all_params(s.spec);
        REQUIRE(own.size() == s.net_param_names.size());
        Weights net_weights = Weights::for_net(net);
        for (std::size_t p = 0; p < own.size(); ++p) {
            CAPTURE(s.net_param_names[p]);
            CHECK(own[p].dims == net_weights.spec(s.net_param_names[p]).dims);
            CHECK(own[p].role == net_weights.spec(s.net_param_names[p]).role);
        }
        names.insert(names.end(), s.net_param_names.begin(), s.net_param_names.end());
    }
    CHECK(next == net.layers.size());
    // Every learned tensor of the net in exactly one segment, in the net's order.
    std::vector<std::string> want;
    for (const auto& p : all_params(net)) want.push_back(p.name);
    CHECK(names == want);
}

}  // namespace

TEST_CASE("segments: every layer and learned tensor once, never cutting a conv group") {
    check_split(describe<Blocks>());
    check_split(describe<nets::GoogLeNet>());
    const auto blocks = codegen::split_into_segments(describe<Blocks>());
    // residual + relu | concat | conv + relu | conv + relu + pool + dense + relu + dense + softmax
    REQUIRE(blocks.size() == 4);
    CHECK(blocks[3].spec.layers.size() == 7);
    // GoogLeNet: three stem convs, then one segment per inception module.
    CHECK(codegen::split_into_segments(describe<nets::GoogLeNet>()).size() == 12);
}

TEST_CASE("segments: repeated blocks get equal specs, so one compiled pipeline serves them") {
    using Repeated = Net<Input<8, 8, 16>, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Sigmoid>;
    const auto segments = codegen::split_into_segments(describe<Repeated>());
    REQUIRE(segments.size() == 3);
    CHECK(net_signature(segments[0].spec) == net_signature(segments[1].spec));
    CHECK(net_signature(segments[0].spec) != net_signature(segments[2].spec));  // Sigmoid, not ReLU
    CHECK(segments[1].net_param_names.front() == "l3_conv.weights");
    CHECK(all_params(segments[1].spec).front().name == "l1_conv.weights");
}

TEST_CASE("JIT per segment: the reference's answer, equal to one pipeline's, at any batch") {
    const NetSpec spec = describe<Blocks>();
    auto rng = test::rng_for("jit per segment");
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    for (const char* schedule : {"fused", "unfused"}) {
        CAPTURE(schedule);
        JitOptions options{schedule, 2};
        options.pipelines = JitOptions::Pipelines::per_segment;
        const codegen::JitNet segmented(spec, options);
        options.pipelines = JitOptions::Pipelines::whole_net;
        const codegen::JitNet whole(spec, options);
        CHECK(segmented.pipeline_count() == 4);
        CHECK(whole.pipeline_count() == 1);
        // Both report the whole net with the same plans.
        CHECK(segmented.lowered().schedule_plan == whole.lowered().schedule_plan);
        CHECK(segmented.lowered().layers.size() == whole.lowered().layers.size());
        for (std::size_t batch : {2, 1, 3}) {  // the tensors between segments follow the batch
            CAPTURE(batch);
            Tensor input(batch, spec.input);
            test::fill_uniform(input, rng);
            const Tensor got = segmented.run(input, w);
            test::check_close(got, ref::run_net(spec, w, test::to_ref(input)), 1e-5, 1.0);
            const Tensor one = whole.run(input, w);
            for (std::size_t i = 0; i < got.size(); ++i) CHECK(got.values()[i] == doctest::Approx(one.values()[i]).epsilon(1e-5));
        }
    }
    // The default: per segment for kiln's CPU schedules, one pipeline for the autoschedulers.
    CHECK(codegen::JitNet(spec, JitOptions{"fused"}).pipeline_count() == 4);
    CHECK(codegen::JitNet(spec, JitOptions{"unfused"}).pipeline_count() == 4);
    JitOptions auto_options{"auto-mullapudi2016"};
    CHECK(codegen::JitNet(spec, auto_options).pipeline_count() == 1);
}

TEST_CASE("JIT per segment: repeated blocks and a net compiled again run right, weights bound by the net's names") {
    // Three equal blocks share one pipeline; each must still read its own weights.
    using Repeated = Net<Input<8, 8, 16>, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Relu>;
    const NetSpec spec = describe<Repeated>();
    auto rng = test::rng_for("jit repeated segments");
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    Tensor input(2, spec.input);
    test::fill_uniform(input, rng);
    const ref::Tensor want = ref::run_net(spec, w, test::to_ref(input));
    for (int again = 0; again < 2; ++again) {
        const codegen::JitNet net(spec, JitOptions{"fused", 2});
        CHECK(net.pipeline_count() == 3);
        test::check_close(net.run(input, w), want, 1e-5, 1.0);
    }
}
