// Random conv -> activation -> pool blocks (the unit `fused` fuses) under every CPU schedule,
// against the reference evaluator. The fixed nets of schedule_test.cpp cover real models; these
// draws cover the shapes nobody thought of: 1-row and 1-column kernels, dilation with stride,
// pads larger than the kernel, 1x1 maps, odd channel counts at batch > 1, whole channel vectors.
#include <optional>
#include <sstream>

#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

long pick(std::mt19937_64& rng, long lo, long hi) { return std::uniform_int_distribution<long>(lo, hi)(rng); }
bool coin(std::mt19937_64& rng, double p = 0.5) { return std::bernoulli_distribution(p)(rng); }

long pick_channels(std::mt19937_64& rng) {
    // 24: whole 8-lane vectors but not 16-lane ones (narrower register tiles on AVX-512).
    static const long whole[] = {8, 16, 24, 32};
    return coin(rng, 0.4) ? whole[pick(rng, 0, 3)] : pick(rng, 1, 9);
}

Padding pick_padding(std::mt19937_64& rng, long max_pad) {
    static const PaddingKind kinds[] = {PaddingKind::valid, PaddingKind::same, PaddingKind::full,
                                        PaddingKind::explicit_pads, PaddingKind::same_lower};
    const PaddingKind kind = kinds[pick(rng, 0, 4)];
    return Padding{kind, {pick(rng, 0, max_pad), pick(rng, 0, max_pad)}, {pick(rng, 0, max_pad), pick(rng, 0, max_pad)}};
}

// A conv block drawn until every layer's shape rule passes and the conv reads the input at most
// positions (a block whose output is mostly bias tests little).
NetSpec random_block(std::mt19937_64& rng, std::string& described) {
    for (int attempt = 0; attempt < 10000; ++attempt) {
        const Shape in{pick(rng, 1, 14), pick(rng, 1, 14), pick_channels(rng)};
        ConvAttrs conv;
        conv.filters = pick_channels(rng);
        // A quarter depthwise (multiplier 1 or 2), some grouped by a common divisor of the channels.
        if (coin(rng, 0.25)) {
            conv.groups = in.c;
            conv.filters = in.c * (coin(rng, 0.2) ? 2 : 1);
        } else if (coin(rng, 0.15)) {
            for (long g = std::min(in.c, conv.filters); g > 1; --g)
                if (in.c % g == 0 && conv.filters % g == 0) {
                    conv.groups = g;
                    break;
                }
        }
        conv.kernel = Extent2{coin(rng, 0.3) ? 1 : pick(rng, 2, 5), coin(rng, 0.3) ? 1 : pick(rng, 2, 5)};
        conv.stride = Extent2{pick(rng, 1, 3), pick(rng, 1, 3)};
        conv.dilation = Extent2{coin(rng, 0.6) ? 1 : pick(rng, 2, 3), coin(rng, 0.6) ? 1 : pick(rng, 2, 3)};
        conv.padding = pick_padding(rng, 3);
        conv.flip = coin(rng, 0.2);
        conv.bias = coin(rng, 0.75);
        if (!conv.check(in, false).ok()) continue;
        const Pads rows = conv.rows(in), cols = conv.cols(in);
        // Rows and columns of output whose window overlaps the image: at least half of each.
        const auto reads = [](long m, Pads p, long k, long s, long d, long out) {
            long n = 0;
            for (long o = 0; o < out; ++o) {
                const long first = o * s - p.begin, last = first + d * (k - 1);
                bool any = false;
                for (long t = first; t <= last; t += d) any = any || (t >= 0 && t < m);
                n += any;
            }
            return 2 * n >= out;
        };
        const Shape conv_out = conv.output(in);
        if (!reads(in.h, rows, conv.kernel.h, conv.stride.h, conv.dilation.h, conv_out.h) ||
            !reads(in.w, cols, conv.kernel.w, conv.stride.w, conv.dilation.w, conv_out.w))
            continue;

        std::vector<LayerSpec> layers{make_layer_spec(conv, in, "1")};
        const int activation = int(pick(rng, 0, 3));  // ReLU, leaky ReLU, tanh, none
        if (activation < 3) {
            ActivationAttrs act;
            act.function = activation == 0 ? ActivationFunction::relu
                                           : activation == 1 ? ActivationFunction::leaky_relu : ActivationFunction::tanh;
            act.slope = 0.1, act.slope_num = 1, act.slope_den = 10;
            layers.push_back(make_layer_spec(act, layers.back().out, "2"));
        }
        const int pooling = int(pick(rng, 0, 3));  // max, average, average counting padding, none
        if (pooling < 3) {
            PoolAttrs pool;
            pool.function = pooling == 0 ? PoolFunction::max : PoolFunction::average;
            pool.count_padding = pooling == 2;
            pool.window = Extent2{pick(rng, 1, 3), pick(rng, 1, 3)};
            pool.stride = Extent2{pick(rng, 1, 3), pick(rng, 1, 3)};
            pool.padding = pick_padding(rng, 2);
            if (pool.padding.kind == PaddingKind::full) pool.padding.kind = PaddingKind::valid;  // pools refuse full
            pool.ceil_mode = coin(rng, 0.3);
            if (pooling == 0 && coin(rng, 0.25)) pool.dilation = Extent2{pick(rng, 1, 2), pick(rng, 1, 2)};
            if (!pool.check(layers.back().out, false).ok()) continue;
            // A dilated window wholly in the padding gives -infinity (as PyTorch), which no tolerance measures.
            const Shape pooled = layers.back().out;
            ref::Window g = ref::detail::window_of(pool.padding, pooled.h, pooled.w, pool.window, pool.stride, pool.dilation);
            g.ceil = pool.ceil_mode;
            if (!ref::every_window_reads_input(g, pooled.h, pooled.w)) continue;
            layers.push_back(make_layer_spec(pool, layers.back().out, "3"));
        }
        std::ostringstream d;
        d << "input " << in.h << "x" << in.w << "x" << in.c << ", conv " << conv.filters << " filters " << conv.kernel.h
          << "x" << conv.kernel.w << " stride " << conv.stride.h << "x" << conv.stride.w << " dilation "
          << conv.dilation.h << "x" << conv.dilation.w << " padding kind " << int(conv.padding.kind) << " pads "
          << rows.begin << "," << rows.end << "," << cols.begin << "," << cols.end << " flip " << conv.flip << " bias "
          << conv.bias << " groups " << conv.groups;
        for (std::size_t l = 1; l < layers.size(); ++l) d << ", " << layers[l].kind();
        if (pooling < 3) {
            const auto& p = std::get<PoolAttrs>(layers.back().attrs);
            d << " " << p.window.h << "x" << p.window.w << " stride " << p.stride.h << "x" << p.stride.w << " pads "
              << p.rows(layers[layers.size() - 2].out).begin << "," << p.rows(layers[layers.size() - 2].out).end << ","
              << p.cols(layers[layers.size() - 2].out).begin << "," << p.cols(layers[layers.size() - 2].out).end
              << " count padding " << p.count_padding << " dilation " << p.dilation.h << "x" << p.dilation.w << " ceil " << p.ceil_mode;
        }
        described = d.str();
        return test::net_of(std::move(layers));
    }
    FAIL("no valid random block in 10000 draws");
    return {};
}

double max_abs(const ref::Tensor& t) {
    double m = 0;
    for (double v : t.v) m = std::max(m, std::abs(v));
    return m;
}

// The largest output of the reference net on the absolute values of its weights and input: for
// layers that never amplify (convs, ReLU, ReLU6, pools), a bound on every output's sum |w x|, which
// float rounding grows with. `w` may hold more tensors than `spec` reads.
double largest_abs_output(const NetSpec& spec, const Weights& w, const kiln::Tensor& input) {
    Weights abs_w = Weights::for_net(spec);
    for (const ParamSpec& p : abs_w.specs()) {
        abs_w[p.name] = w[p.name];
        for (float& v : abs_w[p.name]) v = std::abs(v);
    }
    ref::Tensor abs_input = test::to_ref(input);
    for (double& v : abs_input.v) v = std::abs(v);
    return max_abs(ref::run_net(spec, abs_w, abs_input));
}

// The largest sum over taps of |w x| of the block's conv: the reference conv alone.
double largest_abs_dot_product(const NetSpec& spec, const Weights& w, const kiln::Tensor& input) {
    return largest_abs_output(test::net_of({spec.layers.front()}), w, input);
}

double max_abs_difference(const kiln::Tensor& got, const ref::Tensor& want) {
    REQUIRE(ref::same_shape(got, want));
    double err = 0;
    for (std::size_t i = 0; i < want.v.size(); ++i) err = std::max(err, std::abs(double(got.values()[i]) - want.v[i]));
    return err;
}

// Appends a ReLU, a ReLU6 or nothing, drawn; returns which (0, 1, 2).
long append_activation(std::mt19937_64& rng, std::vector<LayerSpec>& layers) {
    const long kind = pick(rng, 0, 2);
    if (kind == 2) return kind;
    ActivationAttrs act;
    act.function = kind == 0 ? ActivationFunction::relu : ActivationFunction::clip;
    act.low = 0, act.high = 6, act.high_num = 6;
    layers.push_back(make_layer_spec(act, layers.back().out, std::to_string(layers.size() + 1)));
    return kind;
}

// Runs `schedule` on `spec` and compares with the reference. An autoscheduled pipeline that kiln's
// own check catches disagreeing with `unfused` may be refused (docs/known-defects.md): a clear
// error is kiln's contract there, a wrong answer never is.
void check_schedule(const NetSpec& spec, const std::string& schedule, int batch_estimate, long batch,
                    std::mt19937_64& rng, const std::string& machine = "host") {
    INFO("schedule " << schedule << " (batch estimate " << batch_estimate << ", machine " << machine << "), batch " << batch);
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    // An autoscheduled pipeline runs at the batch it was tuned for (jit.hpp).
    const long run_batch = schedule.rfind("auto-", 0) == 0 ? batch_estimate : batch;
    Tensor input(run_batch, spec.input);
    test::fill_uniform(input, rng);
    std::optional<codegen::JitNet> net;
    try {
        codegen::JitOptions options{schedule, batch_estimate};
        options.machine = machine;
        net.emplace(spec, options);
    } catch (const kiln::Error& e) {
        REQUIRE(schedule.rfind("auto-", 0) == 0);
        REQUIRE(std::string(e.what()).find("autoscheduler miscompile") != std::string::npos);
        MESSAGE("refused (Halide 14 miscompile caught): " << schedule);
        return;
    }
    const ref::Tensor want = ref::run_net(spec, w, test::to_ref(input));
    const auto& conv = std::get<ConvAttrs>(spec.layers.front().attrs);
    const double taps = double(spec.layers.front().in.c * conv.kernel.h * conv.kernel.w);
    // Float rounding in a dot product grows with sum |w x|, not with the sum itself: a one-filter
    // conv whose few outputs cancel to near zero failed a tolerance relative to them alone (soak
    // seed 5218607163557849751: 1.6e-5 of an output 50x smaller than its terms). The layers after
    // the conv (activations, pools) never amplify, so the conv's largest sum |w x| bounds the scale.
    const double scale = std::max(max_abs(want), largest_abs_dot_product(spec, w, input));
    const double tol = 1e-5 * std::max(1.0, std::sqrt(taps / 1000));
    CHECK(max_abs_difference(net->run(input, w), want) <= tol * scale);
}

NetSpec block_of(Shape in, const ConvAttrs& conv, const PoolAttrs& pool) {
    LayerSpec c = make_layer_spec(conv, in, "1");
    LayerSpec p = make_layer_spec(pool, c.out, "2");
    return test::net_of({c, p});
}

}  // namespace

// Blocks the first soak runs drew, kept as fixed cases.
TEST_CASE("random conv blocks: the shapes the first soak runs failed on (regression)") {
    auto rng = test::rng_for("random blocks regression");
    // A pool whose stride exceeds its window never reads the last conv row; `unfused` split the
    // conv's one band of 6 rows over the 5 rows read and shifted it to row -1.
    ConvAttrs conv;
    conv.filters = 32, conv.kernel = Extent2{3, 1}, conv.stride = Extent2{1, 2};
    PoolAttrs pool;
    pool.window = Extent2{2, 1}, pool.stride = Extent2{3, 2};
    const NetSpec skipped_row = block_of(Shape{8, 1, 8}, conv, pool);
    // Rows of a 1-row kernel wholly in the padding, under a pool: `fused` folded the padded input
    // and Halide 14 then accessed it out of order, or beyond the fold.
    conv = ConvAttrs{};
    conv.filters = 7, conv.kernel = Extent2{1, 5};
    conv.padding = Padding{PaddingKind::explicit_pads, {0, 2}, {2, 2}};
    pool = PoolAttrs{};
    pool.function = PoolFunction::average, pool.count_padding = true;
    pool.window = Extent2{1, 1}, pool.stride = Extent2{3, 3};
    const NetSpec padded_rows = block_of(Shape{14, 1, 4}, conv, pool);
    conv.filters = 32, conv.stride = Extent2{3, 1}, conv.dilation = Extent2{1, 2};
    conv.padding = Padding{PaddingKind::explicit_pads, {2, 1}, {0, 2}};
    pool.function = PoolFunction::max, pool.window = Extent2{1, 2}, pool.stride = Extent2{1, 3};
    const NetSpec padded_rows_strided = block_of(Shape{5, 9, 6}, conv, pool);
    // A 1-row kernel under a 1x2/3 pool: sliding computes 3 conv rows per pooled row, and the
    // padded input was folded to the 1 row a pooled row reads.
    conv = ConvAttrs{};
    conv.filters = 2, conv.kernel = Extent2{1, 3}, conv.dilation = Extent2{2, 1}, conv.bias = false, conv.flip = true;
    conv.padding = Padding{PaddingKind::explicit_pads, {0, 2}, {3, 0}};
    pool = PoolAttrs{};
    pool.window = Extent2{1, 2}, pool.stride = Extent2{3, 2}, pool.padding = Padding{PaddingKind::explicit_pads, {0, 0}, {0, 1}};
    const NetSpec strided_pool = block_of(Shape{4, 2, 6}, conv, pool);
    // Strided, dilated convs under a pool: Halide read one pooled step's input rows beyond a fold
    // sized for the window (seeds 14540622450404176499, 16259944295510024459).
    conv = ConvAttrs{};
    conv.filters = 2, conv.kernel = Extent2{3, 1}, conv.stride = Extent2{3, 1}, conv.dilation = Extent2{3, 3};
    conv.padding = Padding{PaddingKind::same, {}, {}};
    pool = PoolAttrs{};
    pool.window = Extent2{1, 2}, pool.stride = Extent2{1, 2};
    const NetSpec strided_conv = block_of(Shape{8, 10, 2}, conv, pool);
    conv.filters = 32, conv.kernel = Extent2{1, 3}, conv.dilation = Extent2{3, 2};
    pool.stride = Extent2{1, 3}, pool.padding = Padding{PaddingKind::explicit_pads, {0, 0}, {0, 1}};
    const NetSpec strided_wide = block_of(Shape{5, 13, 16}, conv, pool);
    // A 1x1/2 pool over a stride-2 conv of ragged channels: the folded rows were accessed out of
    // order (seed 320943102368348832).
    conv = ConvAttrs{};
    conv.filters = 7, conv.kernel = Extent2{5, 2}, conv.stride = Extent2{2, 3};
    conv.padding = Padding{PaddingKind::explicit_pads, {0, 0}, {2, 0}};
    pool = PoolAttrs{};
    pool.window = Extent2{1, 1}, pool.stride = Extent2{2, 1};
    const NetSpec skipping_pool = block_of(Shape{12, 11, 16}, conv, pool);
    for (const NetSpec* spec :
         {&skipped_row, &padded_rows, &padded_rows_strided, &strided_pool, &strided_conv, &strided_wide, &skipping_pool})
        for (const char* schedule : {"fused", "unfused"})
            for (int batch_estimate : {1, 8}) check_schedule(*spec, schedule, batch_estimate, 2, rng);
    // A fully padded, strided, dilated conv under a 3x1/3 pool, planned for 7 cores: the folded
    // padded input was accessed out of order (CI soak seed 14230060353174616441).
    conv = ConvAttrs{};
    conv.filters = 7, conv.kernel = Extent2{4, 5}, conv.stride = Extent2{2, 3}, conv.dilation = Extent2{3, 1};
    conv.padding = Padding{PaddingKind::full, {}, {}};
    pool = PoolAttrs{};
    pool.window = Extent2{3, 1}, pool.stride = Extent2{3, 3};
    const NetSpec full_padded = block_of(Shape{2, 9, 16}, conv, pool);
    for (const char* machine : {"generic,cores=7,l2=128KiB", "host,cores=1", "host"})
        for (int batch_estimate : {1, 8}) check_schedule(full_padded, "fused", batch_estimate, 1, rng, machine);
}

// Each block is planned for a machine drawn from these: the host, and models whose small L2 and
// odd core counts push small shapes into the plans big nets get (reduction blocks, row bands).
// Every one of them can run the host's target, so the plan runs here whatever it was made for.
const char* const machines[] = {"host", "host,l2=64KiB", "generic,cores=7,l2=128KiB", "xeon-spr,cores=16"};

// Each of the plan's loops (conv_group_plan.hpp) on a block small enough to run in a second, made
// to take it by the machine it is planned for: a 16 KiB L2 blocks the reduction, 64 cores cut the
// rows into bands, 13 channels are no whole vectors of any width (4-lane SSE included).
TEST_CASE("random conv blocks: every plan loop, forced by the machine model, matches the reference") {
    auto rng = test::rng_for("plan loops");
    ConvAttrs conv;
    conv.filters = 32, conv.kernel = Extent2{3, 3}, conv.padding = Padding{PaddingKind::same, {}, {}};
    PoolAttrs pool;
    pool.window = Extent2{3, 3}, pool.stride = Extent2{2, 2}, pool.padding = Padding{PaddingKind::same, {}, {}};
    const NetSpec block = block_of(Shape{11, 13, 32}, conv, pool);
    conv.filters = 13;
    const NetSpec ragged = block_of(Shape{11, 13, 32}, conv, pool);
    const struct {
        const NetSpec* spec;
        const char* machine;
        const char* loop;
    } cases[] = {{&block, "host,l2=16KiB", "reduction blocks of "},
                 {&block, "host,l2=16MiB,cores=64", "register tiles "},
                 {&ragged, "host,cores=5", "a row at a time, register tiles "}};
    for (const auto& c : cases) {
        for (int batch_estimate : {1, 8}) {
            codegen::JitOptions options{"fused", batch_estimate};
            options.machine = c.machine;
            const std::string plan = codegen::JitNet(*c.spec, options).lowered().schedule_plan;
            INFO(c.machine << ": " << plan);
            CHECK(plan.find(std::string(": ") + c.loop) != std::string::npos);
            if (std::string(c.machine).find("cores=") != std::string::npos && batch_estimate == 1)
                CHECK(plan.find(" 1 band ") == std::string::npos);
            check_schedule(*c.spec, "fused", batch_estimate, 3, rng, c.machine);
        }
    }
    // A pointwise conv over an input larger than half of a 16 KiB L2: its channel blocks in turn.
    ConvAttrs pointwise;
    pointwise.filters = 128, pointwise.kernel = Extent2{1, 1};
    const NetSpec pointwise_net = test::net_of({make_layer_spec(pointwise, Shape{11, 13, 32}, "1")});
    for (int batch_estimate : {1, 8}) {
        codegen::JitOptions options{"fused", batch_estimate};
        options.machine = "host,l2=16KiB";
        const std::string plan = codegen::JitNet(pointwise_net, options).lowered().schedule_plan;
        INFO(plan);
        CHECK(plan.find(" in turn x ") != std::string::npos);
        check_schedule(pointwise_net, "fused", batch_estimate, 3, rng, options.machine);
    }
    // Tasks of several images (one copy of the weights for them all): planned for batch 32 on
    // one core, run at batch 3 (one short group) and 9 (whole groups and a short one).
    codegen::JitOptions options{"fused", 32};
    options.machine = "host,cores=1";
    const std::string plan = codegen::JitNet(block, options).lowered().schedule_plan;
    INFO(plan);
    CHECK(plan.find(" images a task) = ") != std::string::npos);
    for (long batch : {3, 9}) check_schedule(block, "fused", 32, batch, rng, options.machine);
}

TEST_CASE("random conv blocks match the reference under fused and unfused, tuned for batch 1 and 8") {
    auto rng = test::rng_for("random blocks");
    for (int i = 0; i < test::case_count(8); ++i) {
        std::string described;
        const NetSpec spec = random_block(rng, described);
        INFO("block " << i << ": " << described);
        const long batch = pick(rng, 1, 3);
        const std::string machine = machines[pick(rng, 0, 3)];
        for (const char* schedule : {"fused", "unfused"})
            for (int batch_estimate : {1, 8}) check_schedule(spec, schedule, batch_estimate, batch, rng, machine);
    }
}

// A depthwise conv (multiplier 1 or 2, any kernel, stride, dilation and padding), an optional ReLU
// or ReLU6, then a pointwise conv and an optional ReLU: MobileNet's block, whose depthwise group
// `fused` computes a row at a time inside the pointwise conv's tasks when its output does not stay
// in L2 (conv_group_plan.hpp: inside_consumer). A 1 KiB L2 makes these small pairs take that
// path wherever the plans allow it: every other pair is drawn so they do (at least two vectors of
// depthwise channels, whole vectors of pointwise filters, four output pixels), the rest freely.
// The tolerance comes from the pair run on absolute weights and inputs, which bounds every dot
// product's sum |w x| (ReLU and ReLU6 never amplify).
TEST_CASE("random depthwise -> pointwise pairs: the depthwise group computed inside the pointwise conv matches the reference") {
    auto rng = test::rng_for("depthwise inside pointwise");
    static const long channels[] = {32, 48, 64, 16};
    static const long filters[] = {16, 32, 64, 24, 40, 7};
    const int pair_count = test::case_count(10);
    int nested = 0, pairs = 0;
    while (pairs < pair_count) {
        const bool must_nest = pairs % 2 == 0;
        const Shape in{pick(rng, 2, 17), pick(rng, 2, 17), channels[pick(rng, 0, must_nest ? 2 : 3)]};
        ConvAttrs dw;
        dw.groups = in.c;
        dw.filters = in.c * (coin(rng, 0.25) ? 2 : 1);
        dw.kernel = Extent2{pick(rng, 1, 5), pick(rng, 1, 5)};
        dw.stride = Extent2{pick(rng, 1, 2), pick(rng, 1, 2)};
        dw.dilation = Extent2{coin(rng, 0.7) ? 1 : 2, coin(rng, 0.7) ? 1 : 2};
        dw.padding = pick_padding(rng, 2);
        dw.bias = coin(rng, 0.75);
        if (!dw.check(in, false).ok()) continue;
        std::vector<LayerSpec> layers{make_layer_spec(dw, in, "1")};
        if (must_nest && layers.back().out.h * layers.back().out.w < 4) continue;
        const long between = append_activation(rng, layers);  // ReLU, ReLU6, nothing
        ConvAttrs pw;
        pw.filters = filters[pick(rng, 0, must_nest ? 2 : 5)];
        pw.kernel = Extent2{1, 1};
        pw.bias = coin(rng, 0.75);
        layers.push_back(make_layer_spec(pw, layers.back().out, std::to_string(layers.size() + 1)));
        if (coin(rng)) {
            ActivationAttrs relu;
            relu.function = ActivationFunction::relu;
            layers.push_back(make_layer_spec(relu, layers.back().out, std::to_string(layers.size() + 1)));
        }
        const NetSpec spec = test::net_of(std::move(layers));
        ++pairs;
        const long batch = pick(rng, 1, 3);
        const int batch_estimate = coin(rng) ? 1 : 8;
        const std::string machine = coin(rng) ? "host,l2=1KiB" : "host,l2=1KiB,cores=7";
        INFO("pair " << pairs << ": input " << in.h << "x" << in.w << "x" << in.c << ", depthwise x" << dw.filters / in.c << " "
                     << dw.kernel.h << "x" << dw.kernel.w << " stride " << dw.stride.h << "x" << dw.stride.w << " dilation "
                     << dw.dilation.h << "x" << dw.dilation.w << " padding kind " << int(dw.padding.kind) << ", between "
                     << between << ", pointwise " << pw.filters << ", batch " << batch << " (estimate " << batch_estimate
                     << "), machine " << machine);
        Weights w = Weights::for_net(spec);
        w.fill_random(rng());
        Tensor input(batch, spec.input);
        test::fill_uniform(input, rng);
        const ref::Tensor want = ref::run_net(spec, w, test::to_ref(input));
        const double scale = std::max(1.0, largest_abs_output(spec, w, input));
        for (const char* schedule : {"fused", "unfused"}) {
            codegen::JitOptions options{schedule, batch_estimate};
            options.machine = machine;
            const codegen::JitNet net(spec, options);
            const std::string& plan = net.lowered().schedule_plan;
            INFO(schedule << ":\n" << plan);
            CHECK(net.pipeline_count() == 1);  // the pair is one segment
            const bool inside = plan.find("computed a row at a time inside") != std::string::npos;
            if (std::string(schedule) == "unfused") CHECK(!inside);
            if (std::string(schedule) == "fused" && must_nest) CHECK(inside);
            nested += inside;
            CHECK(max_abs_difference(net.run(input, w), want) <= 1e-5 * scale);
        }
    }
    CHECK(nested >= pair_count / 2);
}

// An inverted residual block (MobileNetV2's): a pointwise expansion and an optional ReLU or ReLU6,
// a depthwise conv (any kernel, stride, dilation and padding) and an optional activation, then a
// pointwise projection. With a 1 KiB L2, `fused` computes the expansion's rows inside the depthwise
// conv's tasks, sliding down its windows, and the depthwise rows inside the projection's, wherever
// the plans allow it (every other block is drawn so they do); the rest freely.
TEST_CASE("random inverted residual blocks: the expansion computed inside the depthwise conv, itself inside the projection, matches the reference") {
    auto rng = test::rng_for("expansion inside depthwise");
    static const long inputs[] = {8, 16, 24, 3};
    static const long expanded[] = {32, 48, 64, 40};
    static const long projected[] = {16, 32, 24, 7};
    const int block_count = test::case_count(8);
    int expansions_inside = 0, blocks = 0;
    while (blocks < block_count) {
        const bool must_nest = blocks % 2 == 0;
        const Shape in{pick(rng, 3, 19), pick(rng, 3, 19), inputs[pick(rng, 0, must_nest ? 2 : 3)]};
        ConvAttrs expand;
        expand.filters = expanded[pick(rng, 0, must_nest ? 2 : 3)];
        expand.kernel = Extent2{1, 1};
        expand.bias = coin(rng, 0.75);
        std::vector<LayerSpec> layers{make_layer_spec(expand, in, "1")};
        append_activation(rng, layers);
        ConvAttrs dw;
        dw.groups = expand.filters;
        dw.filters = expand.filters;
        dw.kernel = Extent2{pick(rng, 1, 5), pick(rng, 1, 5)};
        dw.stride = Extent2{pick(rng, 1, 2), pick(rng, 1, 2)};
        dw.dilation = Extent2{coin(rng, 0.8) ? 1 : 2, coin(rng, 0.8) ? 1 : 2};
        dw.padding = pick_padding(rng, 2);
        dw.bias = coin(rng, 0.75);
        if (!dw.check(layers.back().out, false).ok()) continue;
        layers.push_back(make_layer_spec(dw, layers.back().out, std::to_string(layers.size() + 1)));
        if (must_nest && layers.back().out.h * layers.back().out.w < 4) continue;
        append_activation(rng, layers);
        ConvAttrs project;
        project.filters = projected[pick(rng, 0, must_nest ? 2 : 3)];
        project.kernel = Extent2{1, 1};
        project.bias = coin(rng, 0.75);
        layers.push_back(make_layer_spec(project, layers.back().out, std::to_string(layers.size() + 1)));
        const NetSpec spec = test::net_of(std::move(layers));
        ++blocks;
        const long batch = pick(rng, 1, 3);
        const int batch_estimate = coin(rng) ? 1 : 8;
        const std::string machine = coin(rng) ? "host,l2=1KiB" : "host,l2=1KiB,cores=7";
        INFO("block " << blocks << ": input " << in.h << "x" << in.w << "x" << in.c << ", expansion " << expand.filters << ", depthwise "
                      << dw.kernel.h << "x" << dw.kernel.w << " stride " << dw.stride.h << "x" << dw.stride.w << " dilation "
                      << dw.dilation.h << "x" << dw.dilation.w << " padding kind " << int(dw.padding.kind) << ", projection "
                      << project.filters << ", batch " << batch << " (estimate " << batch_estimate << "), machine " << machine);
        Weights w = Weights::for_net(spec);
        w.fill_random(rng());
        Tensor input(batch, spec.input);
        test::fill_uniform(input, rng);
        const ref::Tensor want = ref::run_net(spec, w, test::to_ref(input));
        const double scale = std::max(1.0, largest_abs_output(spec, w, input));
        codegen::JitOptions options{"fused", batch_estimate};
        options.machine = machine;
        const codegen::JitNet net(spec, options);
        const std::string& plan = net.lowered().schedule_plan;
        INFO(plan);
        CHECK(net.pipeline_count() == 1);  // the block is one segment
        const bool expansion_inside = plan.find("computed a row at a time inside") < plan.find('\n');  // the first group's line
        if (must_nest) CHECK(expansion_inside);
        expansions_inside += expansion_inside;
        CHECK(max_abs_difference(net.run(input, w), want) <= 1e-5 * scale);
    }
    CHECK(expansions_inside >= block_count / 2);
}

// Blocks the schedule soak drew whose autoscheduled kernels died of SIGILL on a Zen 4 VM (seed
// 6079894418879014735): Halide 14 took the CPU for Sapphire Rapids and emitted AVX-VNNI
// (`{vex} vpdpwssd`), which Zen 4 lacks (kiln/codegen/target.hpp).
TEST_CASE("random conv blocks: autoscheduled shapes that hit Halide 14's Zen 4 misdetection (regression)") {
    auto rng = test::rng_for("random blocks auto regression");
    ConvAttrs conv;
    conv.filters = 6, conv.kernel = Extent2{4, 4}, conv.stride = Extent2{1, 2}, conv.dilation = Extent2{1, 2};
    conv.padding = Padding{PaddingKind::full, {}, {}};
    ActivationAttrs leaky;
    leaky.function = ActivationFunction::leaky_relu, leaky.slope = 0.1, leaky.slope_num = 1, leaky.slope_den = 10;
    const LayerSpec full_conv = make_layer_spec(conv, Shape{7, 11, 8}, "1");
    const NetSpec full_padded = test::net_of({full_conv, make_layer_spec(leaky, full_conv.out, "2")});
    check_schedule(full_padded, "auto-adams2019", 1, 1, rng);

    conv = ConvAttrs{};
    conv.filters = 8, conv.kernel = Extent2{2, 2}, conv.stride = Extent2{2, 2}, conv.dilation = Extent2{2, 2}, conv.bias = false;
    conv.padding = Padding{PaddingKind::explicit_pads, {3, 2}, {3, 3}};
    ActivationAttrs tanh;
    tanh.function = ActivationFunction::tanh;
    PoolAttrs pool;
    pool.function = PoolFunction::average, pool.count_padding = true;
    pool.window = Extent2{1, 3}, pool.stride = Extent2{1, 2};
    const LayerSpec dilated = make_layer_spec(conv, Shape{11, 6, 2}, "1");
    const LayerSpec activated = make_layer_spec(tanh, dilated.out, "2");
    const NetSpec dilated_pooled = test::net_of({dilated, activated, make_layer_spec(pool, activated.out, "3")});
    check_schedule(dilated_pooled, "auto-li2018", 1, 1, rng);
}

// A block the autoscheduler suite drew (seed 1796356395738317267) whose Adams2019 pipeline
// computed the conv's padded input inside the conv's innermost reduction loop and died of SIGSEGV
// in JitNet's check run; kiln now refuses such a schedule from its source (jit.cpp).
TEST_CASE("random conv blocks: Adams2019 computing a padded input inside the conv's reduction loops (regression)") {
    auto rng = test::rng_for("random blocks adams reduction loops");
    ConvAttrs conv;
    conv.filters = 4, conv.kernel = Extent2{1, 4}, conv.stride = Extent2{3, 3}, conv.dilation = Extent2{1, 2};
    conv.padding = Padding{PaddingKind::full, {}, {}};
    const LayerSpec strided = make_layer_spec(conv, Shape{3, 4, 32}, "1");
    int refused_here = 0;
    for (const ActivationFunction f : {ActivationFunction::relu, ActivationFunction::leaky_relu, ActivationFunction::tanh}) {
        ActivationAttrs act;
        act.function = f, act.slope = 0.1, act.slope_num = 1, act.slope_den = 10;
        const NetSpec spec = test::net_of({strided, make_layer_spec(act, strided.out, "2")});
        for (int batch : {1, 2}) {
            CAPTURE(batch);
            try {
                codegen::JitNet net(spec, codegen::JitOptions{"auto-adams2019", batch});
            } catch (const kiln::Error& e) {
                refused_here += std::string(e.what()).find("computes a stage inside the reduction loops") != std::string::npos;
            }
            check_schedule(spec, "auto-adams2019", batch, batch, rng);  // refused, or the reference's answer
        }
    }
    // Halide 14's Adams2019 places the padded input there for at least one of them; a Halide that
    // no longer does makes this fail, and the refusal can then be revisited.
    CHECK(refused_here > 0);
}

TEST_CASE("random conv blocks match the reference under Halide's autoschedulers (or are refused)") {
    auto rng = test::rng_for("random blocks auto");
    for (const char* schedule : {"auto-mullapudi2016", "auto-adams2019", "auto-li2018"}) {
        std::string described;
        const NetSpec spec = random_block(rng, described);
        INFO(described);
        check_schedule(spec, schedule, int(pick(rng, 1, 2)), 1, rng);
    }
}
