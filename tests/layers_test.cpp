// Dense, activations, softmax, local response normalization, batch norm (and its folding), dropout.
#include <algorithm>

#include "support.hpp"
#include "reference/reference_net.hpp"

#include "kiln/runtime/batch_norm.hpp"

namespace {
kiln::Shape random_shape(std::mt19937_64& rng, long max_c = 8) {
    std::uniform_int_distribution<long> m(1, 7), c(1, max_c);
    return kiln::Shape{m(rng), m(rng), c(rng)};
}
}  // namespace

TEST_CASE("dense matches the reference, with and without bias, bit-exact on small integers") {
    auto rng = test::rng_for("dense");
    // A few units (one ragged vector), and up to 150: whole register tiles of 4 vectors, a ragged
    // last one, several tiles in parallel.
    for (auto [bias, max_units] : {std::pair{true, 12L}, std::pair{false, 12L}, std::pair{true, 150L}, std::pair{false, 150L}}) {
        const kiln::Shape in = random_shape(rng);
        const long units = std::uniform_int_distribution<long>(max_units == 12 ? 1 : 13, max_units)(rng);
        CAPTURE(units);
        const auto spec = kiln::make_layer_spec(kiln::DenseAttrs{units, bias}, in, "1");
        kiln::codegen::JitNet net(test::net_of({spec}));
        kiln::Weights w = kiln::Weights::for_net(net.spec());
        kiln::Tensor input(2, in);
        for (int integers = 0; integers < 2; ++integers) {
            if (integers) w.fill_small_integers(rng(), 3), test::fill_integers(input, rng, 3);
            else w.fill_random(rng()), test::fill_uniform(input, rng);
            const auto b = test::to_double(bias ? w["l1_dense.bias"] : std::vector<float>{});
            const auto want = ref::dense(test::to_ref(input), test::to_double(w["l1_dense.weights"]), bias ? &b : nullptr, units);
            const kiln::Tensor got = net.run(input, w);
            if (integers) CHECK(test::bit_exact(got, want));
            else test::check_close(got, want);
        }
    }
}

TEST_CASE("activations match the reference") {
    auto rng = test::rng_for("activations");
    const kiln::Shape in = random_shape(rng);
    kiln::Tensor input(2, in);
    test::fill_uniform(input, rng, -3, 3);
    const auto x = test::to_ref(input);
    using kiln::ActivationFunction;
    struct Case {
        ActivationFunction f;
        double slope;
        double (*ref)(double, double);
        double max_zero;
    } cases[] = {
        {ActivationFunction::relu, 0, [](double v, double) { return std::max(v, 0.0); }, 0.9},
        {ActivationFunction::leaky_relu, 0.1, [](double v, double s) { return v > 0 ? v : s * v; }, 0.1},
        {ActivationFunction::sigmoid, 0, [](double v, double) { return 1 / (1 + std::exp(-v)); }, 0.1},
        {ActivationFunction::tanh, 0, [](double v, double) { return std::tanh(v); }, 0.1},
    };
    for (const auto& c : cases) {
        INFO("activation " << int(c.f));
        kiln::ActivationAttrs a{c.f, c.slope, 1, 10};
        kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(a, in, "1")}));
        const auto want = ref::map(x, [&](double v) { return c.ref(v, c.slope); });
        test::check_close(net.run(input, kiln::Weights{}), want, 1e-5, c.max_zero);
    }
}

// Each alone (inputs over [-6, 6]: both bends of the hard ones at -3 and 3, GELU's and Mish's tails)
// and fused into the conv before it, under `fused` and `unfused`; a NaN input stays NaN.
TEST_CASE("activations of today's CNNs (SiLU, hard sigmoid, hard swish, GELU and its tanh form, Mish) match the reference") {
    auto rng = test::rng_for("modern activations");
    const kiln::ActivationAttrs functions[] = {kiln::Silu::attrs, kiln::HardSigmoid<>::attrs,
                                               kiln::HardSigmoid<std::ratio<1, 5>, std::ratio<2, 5>>::attrs, kiln::HardSwish::attrs,
                                               kiln::Gelu::attrs, kiln::GeluTanh::attrs, kiln::Mish::attrs};
    for (const kiln::ActivationAttrs& a : functions)
        for (const char* schedule : {"fused", "unfused"}) {
            INFO(std::string(a.name()) << " (alpha " << a.slope << ", beta " << a.offset << ") under " << std::string(schedule));
            const kiln::Shape in = random_shape(rng);
            kiln::Tensor input(2, in);
            test::fill_uniform(input, rng, -6, 6);
            input(1, 0, 0, 0) = std::numeric_limits<float>::quiet_NaN();
            const kiln::NetSpec alone = test::net_of({kiln::make_layer_spec(a, in, "1")});
            kiln::codegen::JitNet net(alone, kiln::codegen::JitOptions{schedule});
            kiln::Tensor got = net.run(input, kiln::Weights{});
            CHECK(std::isnan(got(1, 0, 0, 0)));
            got(1, 0, 0, 0) = 0;
            input(1, 0, 0, 0) = 0;
            auto want = ref::run_net(alone, kiln::Weights{}, test::to_ref(input));
            want.at(1, 0, 0, 0) = 0;
            test::check_close(got, want, 1e-5, 0.6);

            const auto conv = kiln::make_layer_spec(kiln::Conv<12, kiln::Kernel<3>, kiln::Same>::attrs, in, "1");
            const kiln::NetSpec after_conv = test::net_of({conv, kiln::make_layer_spec(a, conv.out, "2")});
            kiln::codegen::JitNet fused(after_conv, kiln::codegen::JitOptions{schedule});
            kiln::Weights w = kiln::Weights::for_net(after_conv);
            w.fill_random(rng());
            test::fill_uniform(input, rng, -3, 3);
            test::check_close(fused.run(input, w), ref::run_net(after_conv, w, test::to_ref(input)), 1e-5, 0.6);
        }
    static_assert(kiln::Net<kiln::Input<4, 4, 8>, kiln::Conv<8, kiln::Kernel<1>>, kiln::Silu, kiln::Conv<8, kiln::Kernel<1>>, kiln::HardSwish,
                            kiln::HardSigmoid<std::ratio<1, 5>>, kiln::Gelu, kiln::GeluTanh, kiln::Mish>::valid);
}

// Per-pixel means of 10 against spreads of about 1: a one-pass variance would lose digits.
TEST_CASE("layer norm over channels matches the reference, alone and after a conv") {
    auto rng = test::rng_for("layer norm");
    for (const std::string schedule : {"fused", "unfused"}) {
        CAPTURE(schedule);
        kiln::Shape in = random_shape(rng);
        in.c = std::max<kiln::extent_t>(in.c, 4);
        const auto norm = kiln::make_layer_spec(kiln::LayerNorm<std::ratio<1, 1000000>>::attrs, in, "1");
        const auto conv = kiln::make_layer_spec(kiln::Conv<6, kiln::Kernel<3>, kiln::Same>::attrs, in, "1");
        for (const kiln::NetSpec& spec : {test::net_of({norm}), test::net_of({conv, kiln::make_layer_spec(kiln::LayerNorm<>::attrs, conv.out, "2")})}) {
            kiln::codegen::JitNet net(spec, kiln::codegen::JitOptions{schedule});
            kiln::Weights w = kiln::Weights::for_net(spec);
            w.fill_random(rng());
            kiln::Tensor input(2, in);
            test::fill_uniform(input, rng, 9, 11);
            test::check_close(net.run(input, w), ref::run_net(spec, w, test::to_ref(input)), 1e-4, 0.5);
        }
    }
    static_assert(kiln::Net<kiln::Input<4, 4, 8>, kiln::Conv<8, kiln::Kernel<1>>, kiln::LayerNorm<std::ratio<1, 1000000>>>::param_count ==
                  8 * 8 + 8 + 2 * 8);
}

// ReLU6 and a random range inside the inputs' [-3, 3]: some values clipped at each end, and a NaN
// passed through (x86's min and max would return a bound).
TEST_CASE("clip (ReLU6 and random ranges) matches the reference and keeps a NaN") {
    auto rng = test::rng_for("clip");
    const kiln::Shape in = random_shape(rng);
    kiln::Tensor input(2, in);
    test::fill_uniform(input, rng, -3, 3);
    input(0, 0, 0, 0) = std::numeric_limits<float>::quiet_NaN();
    const auto x = test::to_ref(input);
    const long low = std::uniform_int_distribution<long>(-30, 10)(rng), high = low + std::uniform_int_distribution<long>(0, 20)(rng);
    struct Range {
        kiln::ActivationAttrs attrs;
        double low, high;
    } ranges[] = {{kiln::Relu6::attrs, 0, 6}, {kiln::ActivationAttrs{}, low / 10.0, high / 10.0}};
    ranges[1].attrs.function = kiln::ActivationFunction::clip;
    ranges[1].attrs.low = low / 10.0, ranges[1].attrs.high = high / 10.0;
    ranges[1].attrs.low_num = low, ranges[1].attrs.low_den = 10, ranges[1].attrs.high_num = high, ranges[1].attrs.high_den = 10;
    for (const auto& r : ranges)
        for (const char* schedule : {"fused", "unfused"}) {
            INFO("clip [" << r.low << ", " << r.high << "] under " << schedule);
            kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(r.attrs, in, "1")}), kiln::codegen::JitOptions{schedule});
            const kiln::Tensor got = net.run(input, kiln::Weights{});
            CHECK(std::isnan(got(0, 0, 0, 0)));
            kiln::Tensor rest = got;
            rest(0, 0, 0, 0) = 0;
            auto want = ref::map(x, [&](double v) { return std::min(std::max(v, r.low), r.high); });
            want.at(0, 0, 0, 0) = 0;
            test::check_close(rest, want, 1e-6, 1.0);
        }
    static_assert(kiln::Net<kiln::Input<4, 4, 8>, kiln::Conv<8, kiln::Kernel<1>>, kiln::Relu6>::valid);
}

TEST_CASE("softmax matches the reference and sums to one") {
    auto rng = test::rng_for("softmax");
    const kiln::Shape in = random_shape(rng, 20);
    kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(kiln::SoftmaxAttrs{}, in, "1")}));
    kiln::Tensor input(2, in);
    test::fill_uniform(input, rng, -20, 20);  // wide range: exp would overflow without the max shift at 100s
    const kiln::Tensor got = net.run(input, kiln::Weights{});
    test::check_close(got, ref::softmax(test::to_ref(input)));
    double total = 0;
    for (long c = 0; c < in.c; ++c) total += got(1, 0, 0, c);
    CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
}

// Channel counts on both sides of the unrolled form's limit (64), inputs wide enough that a log of
// the quotient would lose the small probabilities (exp(-40) underflows nothing in the log form).
TEST_CASE("log softmax matches the reference, unrolled and reduced") {
    auto rng = test::rng_for("log softmax");
    for (long channels : {std::uniform_int_distribution<long>(2, 64)(rng), std::uniform_int_distribution<long>(65, 200)(rng)}) {
        const kiln::Shape in{std::uniform_int_distribution<long>(1, 4)(rng), std::uniform_int_distribution<long>(1, 4)(rng), channels};
        INFO("input " << in.h << "x" << in.w << "x" << in.c);
        kiln::SoftmaxAttrs a;
        a.log = true;
        for (const char* schedule : {"fused", "unfused"}) {
            kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(a, in, "1")}), kiln::codegen::JitOptions{schedule});
            kiln::Tensor input(2, in);
            test::fill_uniform(input, rng, -40, 40);
            // A pixel whose largest input leads the next by more than ~17 has log-probability 0
            // there in float, exactly: up to one zero per pixel, 1/c of the values, is right
            // (seed 1796545302802596469 drew c = 8 with 12.5 % zeros).
            test::check_close(net.run(input, kiln::Weights{}), ref::log_softmax(test::to_ref(input)), 1e-5,
                              std::max(0.1, 1.0 / double(channels)));
        }
    }
    static_assert(kiln::Net<kiln::Input<1, 1, 10>, kiln::LogSoftmax>::valid);
}

TEST_CASE("local response normalization matches TensorFlow's formula") {
    auto rng = test::rng_for("lrn");
    const kiln::Shape in = random_shape(rng, 16);
    using L = kiln::Lrn<4, std::ratio<1>, std::ratio<1, 9000>, std::ratio<3, 4>>;  // the CIFAR-10 model's
    for (const kiln::LrnAttrs& a : {L::attrs, kiln::LrnAttrs{2, 2.0, 0.5, 0.75, 1, 2, 3, 4}}) {
        kiln::codegen::JitNet net(test::net_of({kiln::make_layer_spec(a, in, "1")}));
        kiln::Tensor input(2, in);
        test::fill_uniform(input, rng, -2, 2);
        test::check_close(net.run(input, kiln::Weights{}), ref::lrn(test::to_ref(input), a.radius, a.bias, a.alpha, a.beta));
    }
}

TEST_CASE("batch norm and dropout match the reference, folding batch norm into a conv keeps the result") {
    auto rng = test::rng_for("batch norm");
    using Net = kiln::Net<kiln::Input<9, 8, 3>, kiln::Conv<6, kiln::Kernel<3>, kiln::Same>, kiln::BatchNorm,
                          kiln::Dropout<std::ratio<2, 5>>>;
    auto net = kiln::codegen::JitNet::compile<Net>();
    kiln::Weights w = kiln::Weights::for_net(net.spec());
    w.fill_random(rng());
    kiln::Tensor input = kiln::Tensor::for_input<Net>(2);
    test::fill_uniform(input, rng);
    const auto bias = test::to_double(w["l1_conv.bias"]);
    const ref::Window g{3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    const auto conv = ref::conv(test::to_ref(input), test::to_double(w["l1_conv.weights"]), &bias, 6, g, false);
    const auto want = ref::scale_shift(conv, test::to_double(w["l2_batch_norm.scale"]), test::to_double(w["l2_batch_norm.shift"]));
    const kiln::Tensor before = net.run(input, w);
    test::check_close(before, want);

    kiln::fold_batch_norm(w, "l1_conv", "l2_batch_norm");
    CHECK(w["l2_batch_norm.scale"][0] == 1.0f);
    test::check_close(net.run(input, w), want);
}
