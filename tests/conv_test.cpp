// Convolution: JIT output vs the plain-loop reference over every padding kind x stride x dilation x
// kernel orientation, on random shapes and data drawn fresh each run; plus the lecture's examples.
#include "kiln/codegen/lowered.hpp"
#include "nets/workloads.hpp"
#include "reference/padding.hpp"
#include "support.hpp"

using kiln::ConvAttrs;
using kiln::Extent2;
using kiln::Padding;
using kiln::PaddingKind;

namespace {

using ref::expected_pads;

// True when at least half the window positions along an axis have a tap inside the image.
bool mostly_reads_input(long m, kiln::Pads p, long k, long s, long d) {
    long positions = 0, reading = 0;
    for (long start = -p.begin; start + d * (k - 1) <= m - 1 + p.end; start += s, ++positions) {
        bool any = false;
        for (long t = 0; t < k; ++t) any = any || (start + t * d >= 0 && start + t * d < m);
        reading += any;
    }
    return 2 * reading >= positions;
}

struct ConvCase {
    PaddingKind padding;
    bool per_side;
    long stride, dilation;
    bool flip;
};

// Output channels: 1-9 leaves the vector lanes ragged (the guarded path of `fused`), whole vectors
// of 8 or 16 take the register-tiled path, 48 several channel blocks.
long pick_filters(std::mt19937_64& rng) {
    static const long whole[] = {8, 16, 32, 48};
    if (std::bernoulli_distribution(0.3)(rng)) return whole[std::uniform_int_distribution<int>(0, 3)(rng)];
    return std::uniform_int_distribution<long>(1, 9)(rng);
}

// Kernel extents 1-5, a third of them 1 (1 x k and k x 1 kernels are common, and a 1-row kernel
// under padding is where Halide 14's empty trimmed loop read kernel row 1).
long pick_kernel(std::mt19937_64& rng) {
    return std::bernoulli_distribution(1.0 / 3)(rng) ? 1 : std::uniform_int_distribution<long>(2, 5)(rng);
}

// One conv, checked against ref::conv under `schedule` tuned for `batch_estimate`: random floats
// to 1e-5 relative (scaled for long sums), small integers bit-exact.
void check_conv(const ConvAttrs& a, kiln::Shape in, const long pads[4], PaddingKind kind, long batch,
                const std::string& schedule, int batch_estimate, std::mt19937_64& rng) {
    INFO("input " << in.h << "x" << in.w << "x" << in.c << ", filters " << a.filters << ", kernel " << a.kernel.h << "x"
                   << a.kernel.w << ", stride " << a.stride.h << "x" << a.stride.w << ", dilation " << a.dilation.h << "x"
                   << a.dilation.w << ", pads " << pads[0] << "," << pads[1] << "," << pads[2] << "," << pads[3]
                   << ", bias " << a.bias << ", flip " << a.flip << ", groups " << a.groups << ", batch " << batch << ", schedule " << schedule
                   << " (batch estimate " << batch_estimate << ")");
    ref::Window g{a.kernel.h, a.kernel.w, a.stride.h, a.stride.w, a.dilation.h, a.dilation.w};
    expected_pads(kind, in.h, a.kernel.h, a.stride.h, a.dilation.h, pads[0], pads[1], g.top, g.bottom);
    expected_pads(kind, in.w, a.kernel.w, a.stride.w, a.dilation.w, pads[2], pads[3], g.left, g.right);

    const auto spec = kiln::make_layer_spec(a, in, "1");
    kiln::codegen::JitNet net(test::net_of({spec}), kiln::codegen::JitOptions{schedule, batch_estimate});
    kiln::Weights w = kiln::Weights::for_net(net.spec());
    const std::string name = spec.name;
    kiln::Tensor input(batch, in);

    w.fill_random(rng());
    test::fill_uniform(input, rng);
    const auto bias = test::to_double(a.bias ? w[name + ".bias"] : std::vector<float>{});
    auto want = ref::conv(test::to_ref(input), test::to_double(w[name + ".weights"]), a.bias ? &bias : nullptr,
                          a.filters, g, a.flip, a.groups);
    const double taps = double(a.group_input_channels(in) * a.kernel.h * a.kernel.w);
    test::check_close(net.run(input, w), want, 1e-5 * std::max(1.0, std::sqrt(taps / 1000)));

    w.fill_small_integers(rng(), 3);
    test::fill_integers(input, rng, 4);
    const auto ibias = test::to_double(a.bias ? w[name + ".bias"] : std::vector<float>{});
    want = ref::conv(test::to_ref(input), test::to_double(w[name + ".weights"]), a.bias ? &ibias : nullptr, a.filters,
                     g, a.flip, a.groups);
    const kiln::Tensor got = net.run(input, w);
    CHECK(test::bit_exact(got, want));
    if (got.size() >= 16) CHECK(test::zero_fraction(got) < 0.9);  // one output may sum to 0 by chance
}

void run_case(const ConvCase& cc, std::mt19937_64& rng) {
    // Input channels up to 9: above 4 the conv also tests each kernel column against the padding
    // (codegen::skips_padded_columns), so about half the cases take that path. Pads up to 3 may
    // exceed the kernel; dilation may differ per axis and meet any stride.
    std::uniform_int_distribution<long> pick_c(1, 9), pick_m(1, 13), pick_p(0, 3), pick_b(1, 3);
    ConvAttrs a;
    kiln::Shape in;
    long pads[4];
    for (int attempt = 0;; ++attempt) {
        REQUIRE(attempt < 1000);
        a = ConvAttrs{};
        a.filters = pick_filters(rng);
        a.kernel = Extent2{pick_kernel(rng), pick_kernel(rng)};
        a.stride = Extent2{cc.stride, cc.per_side ? std::max(1L, cc.stride - 1) : cc.stride};
        a.dilation = Extent2{cc.dilation, std::bernoulli_distribution(0.5)(rng) ? cc.dilation : 1};
        for (long& p : pads) p = pick_p(rng);
        if (!cc.per_side) pads[1] = pads[0], pads[3] = pads[2];
        a.padding = Padding{cc.padding, {pads[0], pads[1]}, {pads[2], pads[3]}};
        a.flip = cc.flip;
        a.bias = std::uniform_int_distribution<int>(0, 3)(rng) != 0;
        in = kiln::Shape{pick_m(rng), pick_m(rng), pick_c(rng)};
        // Skip shapes where most windows lie wholly in padding (a mostly-zero output would test little).
        if (a.check(in, false).ok() && mostly_reads_input(in.h, a.rows(in), a.kernel.h, a.stride.h, a.dilation.h) &&
            mostly_reads_input(in.w, a.cols(in), a.kernel.w, a.stride.w, a.dilation.w))
            break;
    }
    // Every CPU schedule the conv alone exercises, each tuned for batch 1 or 8 (different tasks).
    static const char* schedules[] = {"fused", "unfused"};
    const std::string schedule = schedules[std::uniform_int_distribution<int>(0, 1)(rng)];
    const int batch_estimate = std::bernoulli_distribution(0.5)(rng) ? 1 : 8;
    check_conv(a, in, pads, cc.padding, pick_b(rng), schedule, batch_estimate, rng);
}

}  // namespace

// Seeds 1796190785169223135, 1796194856983255072 and 1796194927260202384 drew these: a 1-row kernel
// with dilation 2 under padding, where an output row's taps all fall in the padding. Halide 14 read
// kernel row 1 of the 1-row kernel (lower_conv.cpp: skips_padded_rows).
TEST_CASE("conv: a 1-row kernel whose output rows lie wholly in the padding (regression)") {
    auto rng = test::rng_for("conv regression");
    struct Regression {
        kiln::Shape in;
        long kh, kw, sh, sw, pads[4];
    };
    const Regression cases[] = {{{2, 10, 1}, 1, 2, 1, 1, {2, 0, 2, 0}},
                                {{2, 6, 2}, 1, 1, 3, 2, {2, 0, 0, 2}},
                                {{2, 3, 1}, 1, 3, 2, 2, {1, 1, 1, 1}},
                                {{3, 2, 6}, 2, 1, 1, 1, {0, 0, 2, 2}},  // the same by columns, 1-column kernel
                                {{4, 5, 6}, 1, 1, 1, 1, {3, 3, 3, 3}}};  // pads larger than the kernel
    for (const Regression& r : cases)
        for (const char* schedule : {"fused", "unfused"})
            for (long filters : {8L, 16L}) {
                ConvAttrs a;
                a.filters = filters;
                a.kernel = Extent2{r.kh, r.kw};
                a.stride = Extent2{r.sh, r.sw};
                a.dilation = Extent2{2, 2};
                a.padding = Padding{PaddingKind::explicit_pads, {r.pads[0], r.pads[1]}, {r.pads[2], r.pads[3]}};
                a.bias = true;
                check_conv(a, r.in, r.pads, PaddingKind::explicit_pads, 2, schedule, 1, rng);
            }
}

TEST_CASE("conv matches the reference for every padding kind, stride, dilation and orientation") {
    auto rng = test::rng_for("conv");
    const PaddingKind kinds[] = {PaddingKind::valid, PaddingKind::same, PaddingKind::full, PaddingKind::explicit_pads,
                                 PaddingKind::same_lower};
    for (PaddingKind kind : kinds)
        for (bool per_side : {false, true})
            for (long stride : {1L, 2L, 3L})
                for (long dilation : {1L, 2L})
                    for (bool flip : {false, true}) {
                        if (per_side && kind != PaddingKind::explicit_pads && stride != 2) continue;
                        if (!test::sampled(rng)) continue;
                        INFO("padding kind " << int(kind) << ", per side " << per_side << ", stride " << stride << ", dilation " << dilation << ", flip " << flip);
                        run_case(ConvCase{kind, per_side, stride, dilation, flip}, rng);
                    }
}

// Grouped convs: depthwise (one input channel per group) with multiplier 1 and 2, channel counts in
// whole vectors (the register tiles) and ragged (the guarded rows), and groups of several input
// channels each, under every padding kind, strides 1-2 and dilations 1-2.
TEST_CASE("grouped and depthwise conv match the reference") {
    auto rng = test::rng_for("grouped conv");
    const PaddingKind kinds[] = {PaddingKind::valid, PaddingKind::same, PaddingKind::full, PaddingKind::explicit_pads,
                                 PaddingKind::same_lower};
    struct Grouping {
        long channels, groups, multiplier;  // filters = channels / groups * multiplier * groups
    };
    const Grouping groupings[] = {{8, 8, 1}, {16, 16, 1}, {32, 32, 1}, {48, 48, 1}, {5, 5, 1}, {12, 12, 1},
                                  {8, 8, 2}, {3, 3, 4}, {16, 2, 1}, {12, 3, 2}, {32, 4, 1}, {9, 3, 3}};
    std::uniform_int_distribution<long> pick_m(3, 12), pick_p(0, 2), pick_b(1, 3), pick_s(1, 2);
    for (const Grouping& gr : groupings)
        for (PaddingKind kind : kinds) {
            if (!test::sampled(rng)) continue;
            ConvAttrs a;
            kiln::Shape in;
            long pads[4];
            for (int attempt = 0;; ++attempt) {
                REQUIRE(attempt < 1000);
                a = ConvAttrs{};
                a.groups = gr.groups;
                a.filters = gr.channels * gr.multiplier;
                a.kernel = Extent2{pick_kernel(rng), pick_kernel(rng)};
                a.stride = Extent2{pick_s(rng), pick_s(rng)};
                a.dilation = Extent2{pick_s(rng), pick_s(rng)};
                for (long& p : pads) p = pick_p(rng);
                a.padding = Padding{kind, {pads[0], pads[1]}, {pads[2], pads[3]}};
                a.flip = std::bernoulli_distribution(0.25)(rng);
                a.bias = std::bernoulli_distribution(0.75)(rng);
                in = kiln::Shape{pick_m(rng), pick_m(rng), gr.channels};
                if (a.check(in, false).ok() && mostly_reads_input(in.h, a.rows(in), a.kernel.h, a.stride.h, a.dilation.h) &&
                    mostly_reads_input(in.w, a.cols(in), a.kernel.w, a.stride.w, a.dilation.w))
                    break;
            }
            for (const char* schedule : {"fused", "unfused"})
                check_conv(a, in, pads, kind, pick_b(rng), schedule, std::bernoulli_distribution(0.5)(rng) ? 1 : 8, rng);
        }
}

TEST_CASE("grouped conv: the DSL's counts and checks") {
    using Block = kiln::Net<kiln::Input<16, 16, 32>, kiln::DepthwiseConv<32, kiln::Kernel<3>, kiln::Pad<1>>,
                            kiln::Conv<64, kiln::Kernel<1>>>;
    static_assert(Block::output_shape == kiln::Shape{16, 16, 64});
    // Depthwise: 3*3*1*32 weights + 32 biases; pointwise: 32*64 + 64.
    static_assert(Block::param_count == 3 * 3 * 32 + 32 + 32 * 64 + 64);
    static_assert(Block::mac_count == 16 * 16 * 32 * 9 + 16 * 16 * 64 * 32);
    using Grouped = kiln::Net<kiln::Input<8, 8, 12>, kiln::Conv<6, kiln::Kernel<3>, kiln::Groups<3>, kiln::NoBias>>;
    static_assert(Grouped::param_count == 3 * 3 * 4 * 6);  // each filter reads 12 / 3 = 4 channels
    const kiln::NetSpec spec = kiln::describe<Grouped>();
    CHECK(spec.layers[0].params[0].dims == std::vector<kiln::extent_t>{6, 4, 3, 3});
    // The run-time route states the same rule the compile-time one does.
    ConvAttrs a;
    a.filters = 12;
    a.kernel = Extent2{3, 3};
    a.groups = 5;
    CHECK_THROWS_WITH(kiln::make_layer_spec(a, kiln::Shape{8, 8, 10}, "4"),
                      "kiln: layer 4 (conv): input 8x8x10: 10 input channels and 12 filters must both be multiples of the 5 groups");
}

// The lecture's 3x3 input (a..i) and 2x2 filter (j k / l m): s11 = aj + bk + dl + em, and so on.
TEST_CASE("lecture: 3x3 input with a 2x2 filter gives s11..s22 in closed form, and kernel flipping") {
    auto rng = test::rng_for("closed form");
    using Net = kiln::Net<kiln::Input<3, 3, 1>, kiln::Conv<1, kiln::Kernel<2>, kiln::NoBias>>;
    using Flipped = kiln::Net<kiln::Input<3, 3, 1>, kiln::Conv<1, kiln::Kernel<2>, kiln::NoBias, kiln::TrueConvolution>>;
    static_assert(Net::output_shape == kiln::Shape{2, 2, 1});  // 3 - 2 + 1 = 2
    auto net = kiln::codegen::JitNet::compile<Net>();
    auto flipped = kiln::codegen::JitNet::compile<Flipped>();
    kiln::Tensor in = kiln::Tensor::for_input<Net>(1);
    test::fill_uniform(in, rng);
    kiln::Weights w = kiln::Weights::for_net(net.spec());
    w.fill_random(rng());
    const float a = in(0, 0, 0, 0), b = in(0, 0, 1, 0), c = in(0, 0, 2, 0), d = in(0, 1, 0, 0), e = in(0, 1, 1, 0),
                f = in(0, 1, 2, 0), g = in(0, 2, 0, 0), h = in(0, 2, 1, 0), i = in(0, 2, 2, 0);
    const auto& k = w["l1_conv.weights"];  // HWIO with I = O = 1: [ky][kx]
    const float j = k[0], kk = k[1], l = k[2], m = k[3];
    const kiln::Tensor s = net.run(in, w);
    CHECK(s(0, 0, 0, 0) == doctest::Approx(a * j + b * kk + d * l + e * m).epsilon(1e-6));
    CHECK(s(0, 0, 1, 0) == doctest::Approx(b * j + c * kk + e * l + f * m).epsilon(1e-6));
    CHECK(s(0, 1, 0, 0) == doctest::Approx(d * j + e * kk + g * l + h * m).epsilon(1e-6));
    CHECK(s(0, 1, 1, 0) == doctest::Approx(e * j + f * kk + h * l + i * m).epsilon(1e-6));
    // True convolution: S(1,1) = e*m + b*k + d*l + a*j with the kernel rotated (m l / k j).
    // The same numbers as weights of the flipped net (weights remember the net they were made for).
    kiln::Weights wf = kiln::Weights::for_net(flipped.spec());
    wf["l1_conv.weights"] = w["l1_conv.weights"];
    const kiln::Tensor t = flipped.run(in, wf);
    CHECK(t(0, 0, 0, 0) == doctest::Approx(a * m + b * l + d * kk + e * j).epsilon(1e-6));
    CHECK(t(0, 1, 1, 0) == doctest::Approx(e * m + f * l + h * kk + i * j).epsilon(1e-6));
}

TEST_CASE("lecture: output-size examples") {
    // valid: 3 - 2 + 1 = 2; strided: (5 - 3 + 2) / 2 = 2; zero padding keeps m.
    static_assert(kiln::Net<kiln::Input<3, 3, 1>, kiln::Conv<1, kiln::Kernel<2>>>::output_shape.h == 2);
    static_assert(kiln::Net<kiln::Input<5, 5, 1>, kiln::Conv<1, kiln::Kernel<3>, kiln::Stride<2>>>::output_shape.h == 2);
    static_assert(kiln::Net<kiln::Input<7, 7, 1>, kiln::Conv<1, kiln::Kernel<3>, kiln::Same>>::output_shape.h == 7);
    // An even kernel's odd padding: Same puts it at the end, SameLower at the start.
    static_assert(kiln::Conv<1, kiln::Kernel<2>, kiln::Same>::attrs.rows(kiln::Shape{4, 4, 1}).end == 1);
    static_assert(kiln::Conv<1, kiln::Kernel<2>, kiln::SameLower>::attrs.rows(kiln::Shape{4, 4, 1}).begin == 1);
    static_assert(kiln::Conv<1, kiln::Kernel<2>, kiln::SameLower>::attrs.rows(kiln::Shape{4, 4, 1}).end == 0);
    static_assert(kiln::Net<kiln::Input<10, 10, 1>, kiln::Conv<1, kiln::Kernel<3>, kiln::Full>>::output_shape.h == 12);
    // The rule as written in the lecture, (m - k + 2p + s) / s, for a spread of values.
    for (long m = 1; m < 30; ++m)
        for (long k = 1; k <= m; ++k)
            for (long s = 1; s < 5; ++s)
                for (long p = 0; p < k; ++p)
                    REQUIRE(kiln::output_extent(m, kiln::Pads{p, p}, k, s, 1) == (m - k + 2 * p + s) / s);
}

// Padded taps skipped along both axes (every output reads the image; more than 4 input channels a
// group, or depthwise): the conv reads its input, with no zero-padded copy. An RGB conv adds its
// padded zeros (its column tests cost more than the taps) and keeps the copy; training skips no
// taps and keeps it too. Whether the direct read computes the reference's answer is every other
// test of this file and random_block_test.cpp.
TEST_CASE("a conv that skips every padded tap reads its input, not a padded copy, except in training") {
    const auto padded = [](const kiln::NetSpec& spec, bool training) {
        const kiln::codegen::Lowered net = kiln::codegen::lower(spec, 1, 0, training);
        return net.layers.front().padded_input.defined();
    };
    CHECK(!padded(kiln::describe<nets::W4>(), false));  // 56x56x64, 3x3 pad 1
    CHECK(!padded(kiln::describe<nets::W2>(), false));  // 12x12x64, 5x5 same
    CHECK(padded(kiln::describe<nets::W4>(), true));
    CHECK(padded(kiln::describe<nets::W1>(), false));  // 24x24x3: RGB
    CHECK(!kiln::codegen::pads_input(kiln::describe<nets::W4>().layers.front()));
    CHECK(kiln::codegen::pads_input(kiln::describe<nets::W1>().layers.front()));
    // A 3x3 conv with 3 pixels of padding a side has output rows that read only padding: a copy.
    using WidePad = kiln::Net<kiln::Input<6, 6, 16>, kiln::Conv<16, kiln::Kernel<3>, kiln::Pad<3>>>;
    CHECK(padded(kiln::describe<WidePad>(), false));
}
