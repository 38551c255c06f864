// The public API under misuse: each case is a clear kiln::Error, never a crash, an out-of-bounds
// access or a silently wrong answer; and NaN/Inf propagate as PyTorch propagates them.
#include <cmath>
#include <limits>
#include <thread>

#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;

namespace {
using Small = Net<Input<6, 6, 2>, Conv<2, Kernel<3>, Same>, Relu>;  // input and output shapes equal
}  // namespace

TEST_CASE("tensors: storage always matches batch x shape, empty, moved-from and huge tensors are refused") {
    auto net = codegen::JitNet::compile<Small>();
    Weights w = Weights::for_net(net.spec());
    Tensor in = Tensor::for_input<Small>(2);
    CHECK(in.values().size() == std::size_t(2 * 6 * 6 * 2));
    Tensor moved = std::move(in);
    CHECK(in.empty());
    CHECK(in.batch() == 0);
    CHECK_THROWS_WITH_AS(net.run(in, w), doctest::Contains("input tensor is empty"), kiln::Error);
    CHECK_THROWS_WITH_AS(net.run(Tensor{}, w), doctest::Contains("input tensor is empty"), kiln::Error);
    Tensor out_moved = Tensor::for_output<Small>(2);
    Tensor taken = std::move(out_moved);
    CHECK_THROWS_WITH_AS(net.run(moved, w, out_moved), doctest::Contains("output tensor is empty"), kiln::Error);
    // 2^62 examples: the element count would overflow (it ran as batch 1 before).
    CHECK_THROWS_WITH_AS(Tensor(extent_t(1) << 62, Shape{6, 6, 2}), doctest::Contains("exceeds the 2147483647 values"),
                         kiln::Error);
    CHECK_THROWS_WITH_AS(Tensor(1, Shape{1 << 20, 1 << 20, 1}), doctest::Contains("exceeds"), kiln::Error);
    CHECK_THROWS_AS(Tensor(0, Shape{1, 1, 1}), kiln::Error);
    CHECK_THROWS_AS(Tensor(1, Shape{1, -1, 1}), kiln::Error);
}

TEST_CASE("JitNet misuse: aliased output, moved-from net, bad batch estimate") {
    auto net = codegen::JitNet::compile<Small>();
    Weights w = Weights::for_net(net.spec());
    w.fill_random(1);
    Tensor t = Tensor::for_input<Small>(1);
    CHECK_THROWS_WITH_AS(net.run(t, w, t), doctest::Contains("output tensor is the input tensor"), kiln::Error);
    codegen::JitNet taken = std::move(net);
    CHECK_THROWS_WITH_AS(net.run(t, w), doctest::Contains("moved from"), kiln::Error);
    CHECK_THROWS_WITH_AS(net.spec(), doctest::Contains("moved from"), kiln::Error);
    CHECK_NOTHROW(taken.run(t, w));
    for (int bad : {0, -3, 1 << 30})
        CHECK_THROWS_WITH_AS(codegen::JitNet::compile<Small>(codegen::JitOptions{"fused", bad}),
                             doctest::Contains("batch_estimate must be between 1 and 65536"), kiln::Error);
}

TEST_CASE("weights made for another net, or with other dims, are refused even when names and sizes agree") {
    // Same tensor names and sizes, same output shape; the dilated conv reads other pixels.
    using Dilated = Net<Input<6, 6, 2>, Conv<2, Kernel<3>, Dilation<2>, Pad<2>>, Relu>;
    auto net = codegen::JitNet::compile<Dilated>();
    Weights other = Weights::for_net(describe<Small>());
    other.fill_random(2);
    CHECK_THROWS_WITH_AS(net.run(Tensor::for_input<Dilated>(1), other), doctest::Contains("made for another net"),
                         kiln::Error);
    // A tensor of the right size but other dims (kernel 3x3x2 -> 2 filters as 2x3x3), no signature.
    std::vector<ParamSpec> specs = all_params(net.spec());
    std::swap(specs[0].dims[1], specs[0].dims[2]);
    specs[0].dims[1] = 3, specs[0].dims[2] = 2;
    Weights transposed(specs);
    CHECK_THROWS_WITH_AS(net.run(Tensor::for_input<Dilated>(1), transposed), doctest::Contains("has dims (2, 3, 2, 3)"),
                         kiln::Error);
    // Weights without a signature but with the right tensors run, in any order.
    std::vector<ParamSpec> reversed = all_params(net.spec());
    std::reverse(reversed.begin(), reversed.end());
    Weights anonymous(reversed);
    Weights made = Weights::for_net(net.spec());
    made.fill_random(3);
    for (const auto& p : reversed) anonymous[p.name] = made[p.name];
    const Tensor in = [] {
        Tensor t = Tensor::for_input<Dilated>(1);
        for (std::size_t i = 0; i < t.size(); ++i) t.values()[i] = float(i % 7) - 3;
        return t;
    }();
    const Tensor a = net.run(in, anonymous), b = net.run(in, made);
    CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
}

// A NaN or Inf reaches every output that depends on it, and no other, under fused and unfused:
// a 1x1 conv keeps pixels apart, ReLU and max pooling must not drop a NaN (max(NaN, 0) is 0 on x86).
TEST_CASE("NaN and Inf in inputs and weights propagate as in PyTorch") {
    using Pooled = Net<Input<4, 4, 3>, Conv<16, Kernel<1>>, Relu, MaxPool<Window<2>>>;
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (const std::string schedule : {"fused", "unfused"}) {
        INFO("schedule " << schedule);
        auto net = codegen::JitNet::compile<Pooled>(schedule);
        Weights w = Weights::for_net(net.spec());
        for (float& v : w["l1_conv.weights"]) v = 1.0f;  // every filter sums the pixel's channels
        for (float& v : w["l1_conv.bias"]) v = 0.0f;
        Tensor in = Tensor::for_input<Pooled>(1);
        for (float& v : in.values()) v = -1.0f;  // ReLU makes every clean output 0
        in(0, 1, 0, 1) = nan;                     // pooled cell (0, 0), not its window's first tap
        in(0, 2, 1, 2) = -nan;                    // a negative NaN (x86's default one): pooled (1, 0)
        in(0, 3, 3, 0) = inf;                     // pooled cell (1, 1)
        const Tensor out = net.run(in, w);
        for (extent_t c = 0; c < 16; ++c) {
            CHECK(std::isnan(out(0, 0, 0, c)));
            CHECK(std::isnan(out(0, 1, 0, c)));
            CHECK(out(0, 1, 1, c) == inf);
            CHECK(out(0, 0, 1, c) == 0.0f);
        }
        // A NaN weight poisons its filter's channel everywhere, and only that channel.
        for (float& v : in.values()) v = 1.0f;
        w["l1_conv.weights"][5] = nan;  // (o, i, kx, ky) = (5, 0, 0, 0): filter 5
        const Tensor poisoned = net.run(in, w);
        for (extent_t y = 0; y < 2; ++y)
            for (extent_t x = 0; x < 2; ++x) {
                CHECK(std::isnan(poisoned(0, y, x, 5)));
                CHECK(poisoned(0, y, x, 4) == 3.0f);
            }
    }
}

TEST_CASE("run() from several threads on one JitNet gives each caller its own right answer") {
    using Net = kiln::Net<Input<12, 12, 8>, Conv<16, Kernel<3>, Same>, Relu, MaxPool<Window<2>>>;
    auto net = codegen::JitNet::compile<Net>();
    auto rng = test::rng_for("threads");
    Weights w = Weights::for_net(net.spec());
    w.fill_random(rng());
    std::vector<Tensor> inputs, expected;
    for (int i = 0; i < 4; ++i) {
        inputs.push_back(Tensor::for_input<Net>(2));
        test::fill_uniform(inputs.back(), rng);
        expected.push_back(net.run(inputs.back(), w));
    }
    std::vector<Tensor> got(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&, i] {
            for (int repeat = 0; repeat < 20; ++repeat) got[std::size_t(i)] = net.run(inputs[std::size_t(i)], w);
        });
    for (auto& t : threads) t.join();
    for (int i = 0; i < 4; ++i)
        CHECK(std::equal(got[std::size_t(i)].values().begin(), got[std::size_t(i)].values().end(),
                         expected[std::size_t(i)].values().begin()));
}

// The contract for autoscheduled nets: any batch may run, and where Halide's schedule tiled the
// batch it was tuned for and refuses another (Adams2019 on W1 tuned for 4, run at 1, reads batch
// -1 on this Zen 5), the error says which batch to use. Either way the answer is never wrong.
TEST_CASE("an autoscheduled net run at another batch than it was tuned for: right, or an error naming the batch") {
    using W1 = Net<Input<24, 24, 3>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
    auto rng = test::rng_for("autoschedule batch");
    const NetSpec spec = describe<W1>();
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    for (const char* schedule : {"auto-adams2019", "auto-mullapudi2016"}) {
        INFO(std::string(schedule));
        codegen::JitNet net(spec, codegen::JitOptions{schedule, 4});
        Tensor in(1, spec.input);
        test::fill_uniform(in, rng);
        try {
            test::check_close(net.run(in, w), ref::run_net(spec, w, test::to_ref(in)));
        } catch (const kiln::Error& e) {
            CHECK(std::string(e.what()).find("was tuned for batch 4 and may not run other batches: run batch 4") !=
                  std::string::npos);
            MESSAGE((std::string(schedule) + " refused batch 1: " + e.what()));
        }
    }
}
