// Segments (codegen/segments.hpp) and JIT nets compiled per segment: the split covers every layer
// and learned tensor once, renames repeated blocks alike, and a net run per segment computes what
// the reference computes, as the same net compiled as one pipeline does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>

#include "kiln/codegen/fusion.hpp"
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

// MobileNet's blocks: a depthwise group and the pointwise conv after it stay in one segment, and so
// does a depthwise conv after a pointwise group (an inverted residual's expansion).
using MobileBlocks = Net<Input<8, 8, 32>, DepthwiseConv<32, Kernel<3>, Pad<1>>, Relu, Conv<64, Kernel<1>>, Relu,
                         DepthwiseConv<64, Kernel<3>, Stride<2>, Pad<1>>, Relu6, Conv<64, Kernel<1>>, Conv<64, Kernel<1>>>;

using PassThrough = Net<Input<6, 6, 8>, Concat<Branch<>, Branch<Conv<8, Kernel<3>, Same>, Relu>>, Conv<4, Kernel<1>>>;
using Nested = Net<Input<6, 7, 8>, Conv<8, Kernel<1>>,
                   Concat<Branch<Conv<4, Kernel<1>>, Concat<Branch<Conv<2, Kernel<1>>>, Branch<Conv<3, Kernel<3>, Same>>>>,
                          Branch<MaxPool<Window<3>, Stride<1>, Same>>>>;

// The graph's invariants: segments in dataflow order, each reading a tensor that is whole by then
// and writing its own channels of another; every layer and learned tensor in exactly one segment,
// in the net's order; no conv group cut and no Concat copy left where branches can write slices.
void check_split(const NetSpec& net, std::size_t expected_segments) {
    const codegen::SegmentGraph graph = codegen::split_into_segments(net);
    REQUIRE(graph.tensors.size() >= 2);
    CHECK(graph.tensors.front() == net.input);
    CHECK(graph.tensors.back() == net.output);
    CHECK(graph.segments.size() == expected_segments);
    // Channels written so far per tensor: a tensor may be read only once every channel is.
    std::vector<std::vector<int>> written(graph.tensors.size());
    for (std::size_t t = 0; t < graph.tensors.size(); ++t) written[t].assign(std::size_t(graph.tensors[t].c), t == 0 ? 1 : 0);
    const auto whole = [&](std::size_t t) { return std::all_of(written[t].begin(), written[t].end(), [](int n) { return n == 1; }); };
    std::vector<std::string> names;
    extent_t macs = 0, params = 0;
    for (std::size_t i = 0; i < graph.segments.size(); ++i) {
        const codegen::Segment& s = graph.segments[i];
        CAPTURE(i);
        REQUIRE(!s.spec.layers.empty());
        REQUIRE(s.input < graph.tensors.size());
        REQUIRE(s.output < graph.tensors.size());
        CHECK(s.input != s.output);
        CHECK(whole(s.input));
        CHECK(s.spec.input == graph.tensors[s.input]);
        const Shape out = graph.tensors[s.output];
        CHECK(s.spec.output.h == out.h);
        CHECK(s.spec.output.w == out.w);
        REQUIRE(s.channel_offset + std::size_t(s.spec.output.c) <= std::size_t(out.c));
        for (std::size_t c = 0; c < std::size_t(s.spec.output.c); ++c) ++written[s.output][s.channel_offset + c];
        CHECK(s.spec.layers.front().path == "1");
        CHECK(s.spec.layers.front().name.rfind("l1_", 0) == 0);
        for (std::size_t k = 0; k < s.spec.layers.size(); ++k) {
            const LayerSpec& l = s.spec.layers[k];
            const bool starts = std::holds_alternative<ConvAttrs>(l.attrs) || !l.children.empty();
            // A conv group is never cut, and only a pointwise conv after a depthwise group, or a
            // depthwise conv after a pointwise group, joins that group's segment.
            std::size_t group_start = k;
            while (group_start > 0 && !std::holds_alternative<ConvAttrs>(s.spec.layers[group_start - 1].attrs)) --group_start;
            if (group_start > 0) --group_start;  // the segment's last conv before layer k
            std::vector<const LayerSpec*> before;
            for (std::size_t j = group_start; j < k; ++j) before.push_back(&s.spec.layers[j]);
            if (k > 0 && starts) CHECK(codegen::may_compute_inside(before, l));
            macs += l.macs, params += l.param_count;
        }
        const std::vector<ParamSpec> own = all_params(s.spec);
        REQUIRE(own.size() == s.net_param_names.size());
        const Weights net_weights = Weights::for_net(net);
        for (std::size_t p = 0; p < own.size(); ++p) {
            CAPTURE(s.net_param_names[p]);
            CHECK(own[p].dims == net_weights.spec(s.net_param_names[p]).dims);
            CHECK(own[p].role == net_weights.spec(s.net_param_names[p]).role);
        }
        names.insert(names.end(), s.net_param_names.begin(), s.net_param_names.end());
    }
    for (std::size_t t = 1; t < graph.tensors.size(); ++t) CHECK(whole(t));  // each channel written exactly once
    CHECK(macs == net.macs);
    CHECK(params == net.param_count);
    std::vector<std::string> want;
    for (const auto& p : all_params(net)) want.push_back(p.name);
    CHECK(names == want);
}

}  // namespace

TEST_CASE("segments: every layer and learned tensor once, never cutting a conv group, concat branches into slices") {
    // residual + relu | branch 1 | branch 2 | branch 3's pool | branch 3's conv | conv + relu |
    // conv + relu + pool + dense + relu + dense + softmax
    check_split(describe<Blocks>(), 7);
    // GoogLeNet: three stem conv groups; per inception module its four branches as 1 + 2 + 2 + 2
    // segments (1x1 | 1x1 reduce, 3x3 | 1x1 reduce, 5x5 | pool, 1x1 projection), 9 modules; the two
    // max pools between modules; average pool, dropout, dense and softmax.
    check_split(describe<nets::GoogLeNet>(), 3 + 9 * 7 + 2 + 1);
    // dw, relu, pw, relu, dw, relu6, pw | pw (a pointwise conv after a pointwise one starts its own).
    check_split(describe<MobileBlocks>(), 2);
    // A Concat with an empty branch (its input passed through) stays one segment.
    check_split(describe<PassThrough>(), 2);
    // Concats nested in a branch, and one that ends the net, write into slices of the outer tensor.
    check_split(describe<Nested>(), 5);
    const codegen::SegmentGraph nested = codegen::split_into_segments(describe<Nested>());
    CHECK(nested.segments[2].channel_offset == 0);  // the inner concat's branches: channels 0-1 and 2-4
    CHECK(nested.segments[3].channel_offset == 2);
    CHECK(nested.segments[4].channel_offset == 5);  // the pool branch of the outer one: 5-12
    CHECK(nested.segments[4].output == nested.tensors.size() - 1);
}

TEST_CASE("segments: repeated blocks get equal specs, so one compiled pipeline serves them") {
    using Repeated = Net<Input<8, 8, 16>, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Sigmoid>;
    const auto segments = codegen::split_into_segments(describe<Repeated>()).segments;
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
        CHECK(segmented.pipeline_count() == 7);
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
}

// Its own case, so that the sanitizer slice (which leaves the autoschedulers out) skips the
// whole-net autoscheduler compile.
TEST_CASE("JIT per segment: the default for kiln's CPU schedules, one pipeline for the autoschedulers") {
    const NetSpec spec = describe<Blocks>();
    CHECK(codegen::JitNet(spec, JitOptions{"fused"}).pipeline_count() == 7);
    CHECK(codegen::JitNet(spec, JitOptions{"unfused"}).pipeline_count() == 7);
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

TEST_CASE("JIT per segment: nested concats and a concat that ends the net write their slices, a pass-through branch still copies") {
    auto rng = test::rng_for("jit concat slices");
    for (const NetSpec& spec : {describe<Nested>(), describe<PassThrough>()}) {
        Weights w = Weights::for_net(spec);
        w.fill_random(rng());
        for (const char* schedule : {"fused", "unfused"}) {
            CAPTURE(schedule);
            const codegen::JitNet net(spec, JitOptions{schedule, 2});
            for (std::size_t batch : {2, 3}) {
                Tensor input(batch, spec.input);
                test::fill_uniform(input, rng);
                test::check_close(net.run(input, w), ref::run_net(spec, w, test::to_ref(input)), 1e-5, 1.0);
            }
        }
    }
}

TEST_CASE("JIT progress: a GoogLeNet compile over 2 s reports pipelines done and time left, a small one says nothing") {
    std::vector<std::string> lines;
    std::mutex mutex;
    JitOptions options{"fused", 2};  // a batch no other test compiles for
    options.progress = [&](const std::string& line) {
        std::lock_guard<std::mutex> lock(mutex);
        lines.push_back(line);
    };
    codegen::JitNet::forget_unused_pipelines();
    const auto start = std::chrono::steady_clock::now();
    const codegen::JitNet net(describe<nets::GoogLeNet>(), options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CAPTURE(seconds);
    if (seconds < 1.9) CHECK(lines.empty());  // a machine fast enough to need no report gets none
    if (seconds > 2.5) {                        // 7-12 s on 2 cores
        REQUIRE(lines.size() >= 2);
        CAPTURE(lines.front());
        CAPTURE(lines.back());
        // 69 segments; blocks of equal shape share a pipeline, so fewer are compiled.
        unsigned done = 0, total = 0, compiled = 0;
        const bool counted = std::sscanf(lines.front().c_str(), "kiln: compiling Halide pipelines: %u of %u done", &done, &total) == 2 ||
                             std::sscanf(lines.front().c_str(), "kiln: compiling %u Halide pipelines", &total) == 1;
        CHECK(counted);
        CHECK(total > 30);
        CHECK(total <= 69);
        CHECK(done < total);
        CHECK(std::sscanf(lines.back().c_str(), "kiln: compiled %u Halide pipelines in ", &compiled) == 1);
        CHECK(compiled == total);
    }
    lines.clear();
    const auto started = std::chrono::steady_clock::now();
    const codegen::JitNet small(describe<PassThrough>(), options);
    const double small_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Silent when it compiles in under 2 s, as it does but under the full sanitizer build, where
    // Halide's JIT runs through ASan's allocator and may take longer; then it must report.
    INFO("the small net compiled in " << small_seconds << " s");
    if (small_seconds < 1.5) CHECK(lines.empty());
    if (small_seconds > 2.5) CHECK(!lines.empty());
}
