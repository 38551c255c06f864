// Pooling: max and average (padding counted or not) over padding kinds and strides, global average;
// plus the lecture's 2x2/2 max-pooling example.
#include "support.hpp"

using kiln::Extent2;
using kiln::PaddingKind;
using kiln::PoolAttrs;
using kiln::PoolFunction;

namespace {
void run_case(PoolFunction fn, bool count_padding, PaddingKind kind, long stride, std::mt19937_64& rng) {
    std::uniform_int_distribution<long> pick_k(1, 4), pick_m(1, 12), pick_c(1, 6), pick_p(0, 1), pick_b(1, 2);
    PoolAttrs a;
    kiln::Shape in;
    long pads[4];
    for (int attempt = 0;; ++attempt) {
        REQUIRE(attempt < 1000);
        a = PoolAttrs{};
        a.function = fn;
        a.count_padding = count_padding;
        a.window = Extent2{pick_k(rng), pick_k(rng)};
        a.stride = Extent2{stride, stride};
        for (long& p : pads) p = pick_p(rng);
        a.padding = kiln::Padding{kind, {pads[0], pads[1]}, {pads[2], pads[3]}};
        in = kiln::Shape{pick_m(rng), pick_m(rng), pick_c(rng)};
        if (a.check(in, false).ok()) break;
    }
    INFO("input " << in.h << "x" << in.w << "x" << in.c << " window " << a.window.h << "x" << a.window.w << " stride "
                  << stride << " kind " << int(kind) << " pads " << pads[0] << pads[1] << pads[2] << pads[3]);
    const kiln::Pads rows = a.rows(in), cols = a.cols(in);
    if (kind == PaddingKind::explicit_pads) {  // the test states explicit pads itself
        REQUIRE(rows.begin == pads[0]);
        REQUIRE(cols.end == pads[3]);
    }
    const ref::Window g{a.window.h, a.window.w, stride, stride, 1, 1, rows.begin, rows.end, cols.begin, cols.end};
    kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(a, in, "1")}));
    kiln::Tensor input(pick_b(rng), in);
    test::fill_uniform(input, rng);
    const kiln::Weights none;
    auto want = fn == PoolFunction::max ? ref::max_pool(test::to_ref(input), g)
                                        : ref::avg_pool(test::to_ref(input), g, count_padding);
    test::check_close(net.run(input, none), want);
    test::fill_integers(input, rng, 5);
    want = fn == PoolFunction::max ? ref::max_pool(test::to_ref(input), g) : ref::avg_pool(test::to_ref(input), g, count_padding);
    if (fn == PoolFunction::max) CHECK(test::bit_exact(net.run(input, none), want));
    else test::check_close(net.run(input, none), want, 1e-6);  // a division by the count rounds
}
}  // namespace

TEST_CASE("pooling matches the reference for max, average (counting padding or not), padding kinds and strides") {
    auto rng = test::rng_for("pool");
    for (PaddingKind kind : {PaddingKind::valid, PaddingKind::same, PaddingKind::explicit_pads})
        for (long stride : {1L, 2L, 3L}) {
            run_case(PoolFunction::max, false, kind, stride, rng);
            run_case(PoolFunction::average, false, kind, stride, rng);
            run_case(PoolFunction::average, true, kind, stride, rng);
        }
}

// Ceil mode (every function) and dilated windows: the reference counts windows with PyTorch's
// ceil rule and takes the declared pads from the test, so kiln's extra end cells are checked, not
// reused; CountPadding's divisor leaves out the cells past the declared padding.
TEST_CASE("pooling in ceil mode and dilated max pooling match the reference") {
    auto rng = test::rng_for("pool ceil dilation");
    std::uniform_int_distribution<long> pick_k(1, 4), pick_m(2, 12), pick_c(1, 9), pick_p(0, 1), pick_s(1, 3), pick_d(1, 3);
    struct Case {
        PoolFunction fn;
        bool count_padding, ceil, dilate;
    } cases[] = {{PoolFunction::max, false, true, false},    {PoolFunction::average, false, true, false},
                 {PoolFunction::average, true, true, false}, {PoolFunction::max, false, false, true},
                 {PoolFunction::max, false, true, true},
                 // No DSL type declares a dilated average (AvgPool takes no Dilation), but a run-time
                 // PoolAttrs can, and its divisor counts dilated taps.
                 {PoolFunction::average, false, false, true}, {PoolFunction::average, true, true, true}};
    for (const Case& cs : cases)
        for (int draw = 0; draw < 3; ++draw) {
            PoolAttrs a;
            kiln::Shape in;
            long pads[4];
            for (int attempt = 0;; ++attempt) {
                REQUIRE(attempt < 1000);
                a = PoolAttrs{};
                a.function = cs.fn, a.count_padding = cs.count_padding, a.ceil_mode = cs.ceil;
                a.window = Extent2{pick_k(rng), pick_k(rng)};
                a.stride = Extent2{pick_s(rng), pick_s(rng)};
                if (cs.dilate) a.dilation = Extent2{pick_d(rng), pick_d(rng)};
                for (long& p : pads) p = pick_p(rng);
                a.padding = kiln::Padding{PaddingKind::explicit_pads, {pads[0], pads[1]}, {pads[2], pads[3]}};
                in = kiln::Shape{pick_m(rng), pick_m(rng), pick_c(rng)};
                if (!a.check(in, false).ok()) continue;
                // A dilated window wholly in the padding gives -infinity: tested on its own below.
                ref::Window g{a.window.h, a.window.w, a.stride.h, a.stride.w, a.dilation.h, a.dilation.w, pads[0], pads[1], pads[2], pads[3]};
                g.ceil = cs.ceil;
                if (ref::every_window_reads_input(g, in.h, in.w)) break;
            }
            ref::Window g{a.window.h, a.window.w, a.stride.h, a.stride.w, a.dilation.h, a.dilation.w, pads[0], pads[1], pads[2], pads[3]};
            g.ceil = cs.ceil;
            for (const char* schedule : {"fused", "unfused"}) {
                INFO("input " << in.h << "x" << in.w << "x" << in.c << " window " << a.window.h << "x" << a.window.w << " stride "
                              << a.stride.h << "x" << a.stride.w << " dilation " << a.dilation.h << "x" << a.dilation.w << " pads "
                              << pads[0] << pads[1] << pads[2] << pads[3] << " function " << int(cs.fn) << " count " << cs.count_padding
                              << " ceil " << cs.ceil << " under " << schedule);
                kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(a, in, "1")}), kiln::codegen::JitOptions{schedule});
                kiln::Tensor input(2, in);
                test::fill_uniform(input, rng);
                const auto want = cs.fn == PoolFunction::max ? ref::max_pool(test::to_ref(input), g)
                                                             : ref::avg_pool(test::to_ref(input), g, cs.count_padding);
                test::check_close(net.run(input, kiln::Weights{}), want, 1e-6);
            }
        }
    // A dilated window can miss the input: one column padded 1 + 1, taps 2 apart read columns -1 and
    // 1, both padding. PyTorch's max is -infinity there; so is kiln's, in every schedule.
    {
        PoolAttrs a;
        a.window = Extent2{1, 2}, a.stride = Extent2{1, 1}, a.dilation = Extent2{1, 2};
        a.padding = kiln::Padding{PaddingKind::explicit_pads, {0, 0}, {1, 1}};
        const kiln::Shape in{2, 1, 3};
        REQUIRE(a.check(in, false).ok());
        for (const char* schedule : {"fused", "unfused"}) {
            kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(a, in, "1")}), kiln::codegen::JitOptions{schedule});
            kiln::Tensor input(1, in);
            test::fill_uniform(input, rng);
            const kiln::Tensor got = net.run(input, kiln::Weights{});
            REQUIRE(got.shape() == kiln::Shape{2, 1, 3});
            for (float v : got.values()) CHECK(v == -std::numeric_limits<float>::infinity());
        }
    }
    // 6 rows, window 3, stride 2: floor gives 2 rows, ceil 3. 5 rows padded 1 + 1, window 2, stride
    // 2: ceil((7 - 2) / 2) + 1 = 4, but the 4th window would start in the end padding, so 3.
    using kiln::Input, kiln::MaxPool, kiln::AvgPool, kiln::Window, kiln::Stride, kiln::CeilMode, kiln::Pad, kiln::Dilation;
    static_assert(kiln::Net<Input<6, 6, 1>, MaxPool<Window<3>, Stride<2>>>::output_shape.h == 2);
    static_assert(kiln::Net<Input<6, 6, 1>, MaxPool<Window<3>, Stride<2>, CeilMode>>::output_shape.h == 3);
    static_assert(kiln::Net<Input<5, 5, 1>, AvgPool<Window<2>, Stride<2>, Pad<1>, CeilMode>>::output_shape.h == 3);
    static_assert(kiln::Net<Input<7, 7, 1>, MaxPool<Window<2>, Stride<1>, Dilation<3>>>::output_shape.h == 4);
}

TEST_CASE("global average pooling matches the reference") {
    auto rng = test::rng_for("gap");
    const kiln::Shape in{5, 7, 9};
    kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(kiln::GlobalAvgPoolAttrs{}, in, "1")}));
    kiln::Tensor input(3, in);
    test::fill_uniform(input, rng);
    test::check_close(net.run(input, kiln::Weights{}), ref::global_avg_pool(test::to_ref(input)), 1e-6);
}

TEST_CASE("global max pooling matches the reference, and a NaN wins") {
    auto rng = test::rng_for("gmp");
    const kiln::Shape in{std::uniform_int_distribution<long>(1, 9)(rng), std::uniform_int_distribution<long>(1, 9)(rng),
                         std::uniform_int_distribution<long>(1, 40)(rng)};
    INFO("input " << in.h << "x" << in.w << "x" << in.c);
    for (const char* schedule : {"fused", "unfused"}) {
        kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(kiln::GlobalMaxPoolAttrs{}, in, "1")}),
                                  kiln::codegen::JitOptions{schedule});
        kiln::Tensor input(3, in);
        test::fill_uniform(input, rng);
        input(1, in.h - 1, in.w - 1, 0) = std::numeric_limits<float>::quiet_NaN();
        const kiln::Tensor got = net.run(input, kiln::Weights{});
        CHECK(std::isnan(got(1, 0, 0, 0)));
        input(1, in.h - 1, in.w - 1, 0) = 0;
        test::check_close(net.run(input, kiln::Weights{}), ref::global_max_pool(test::to_ref(input)), 0);
    }
    static_assert(kiln::Net<kiln::Input<7, 7, 32>, kiln::GlobalMaxPool>::output_shape == kiln::Shape{1, 1, 32});
}

TEST_CASE("lecture: 2x2 max pooling with stride 2") {
    using Net = kiln::Net<kiln::Input<4, 4, 1>, kiln::MaxPool<kiln::Window<2>, kiln::Stride<2>>>;
    auto net = kiln::codegen::JitNet::compile<Net>();
    kiln::Tensor in = kiln::Tensor::for_input<Net>(1);
    const float image[16] = {1, 3, 6, 2, 3, 8, 1, 1, 2, 9, 2, 1, 5, 1, 3, 1};
    std::copy(image, image + 16, in.data());
    const kiln::Tensor out = net.run(in, kiln::Weights{});
    CHECK(out(0, 0, 0, 0) == 8);
    CHECK(out(0, 0, 1, 0) == 6);
    CHECK(out(0, 1, 0, 0) == 9);
    CHECK(out(0, 1, 1, 0) == 3);
}
