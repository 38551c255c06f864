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
