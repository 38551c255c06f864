// Winograd's F(m x m, 3 x 3) convs (ConvGroupPlan::Loop::winograd, from prepared weights) against
// the reference evaluator's plain loops on fresh random data: tiles cut by the edges of odd maps,
// padded and unpadded convs, residual blocks, batches other than the planned one; and the plans a
// Winograd conv cannot take refused by name.
#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/plan_space.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/codegen/tuning.hpp"
#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

codegen::JitOptions prepared_options(const std::string& schedule, int batch_estimate) {
    codegen::JitOptions options{schedule, batch_estimate};
    options.packed_weights = true;
    return options;
}

int count_of(const std::string& text, const std::string& what) {
    int count = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
    return count;
}

// 13 x 18 outputs (w x h): the last tile of each row holds 1 of 4 columns, the last tile row 2 of
// 4 rows; the unpadded conv's 11 x 16 outputs take 2 x 2 tiles, its last cut by the edge.
using FourByFour = Net<Input<18, 13, 16>, Conv<32, Kernel<3>, Same>, Relu,
                   Residual<Body<Conv<32, Kernel<3>, Same>, Relu, Conv<32, Kernel<3>, Same>>>, Relu, Conv<48, Kernel<3>>>;
// 10 x 9 outputs: too few 4-wide tiles a row, so 2 x 2 tiles, the last tile row cut by the edge.
using TwoByTwo = Net<Input<10, 9, 24>, Conv<32, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same, NoBias>>;

// Each net's convs run as `f4` F(4x4, 3x3) plans and `f2` F(2x2, 3x3) ones, prepared or
// transformed on the call, and match the plain loops. F(4x4, 3x3)'s transforms scale values by up to 8 and 1/24, so
// its float error is larger than a direct conv's (measured ~1e-5 of the largest output on
// 512-channel ResNet convs); 1e-4 still fails a tile read one row or channel off (errors near 1).
template <class N>
void check_winograd_net(const char* test_name, int f4, int f2) {
    const NetSpec spec = describe<N>();
    auto rng = test::rng_for(test_name);
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    Tensor input(3, spec.input);
    test::fill_uniform(input, rng);
    const ref::Tensor want = ref::run_net(spec, w, test::to_ref(input));
    const std::pair<const char*, int> variants[] = {{"fused", 1}, {"fused", 8}, {"unfused", 1}};
    for (const auto& [schedule, batch_estimate] : variants) {
        INFO("schedule " << schedule << ", planned for batch " << batch_estimate);
        const codegen::JitNet net(spec, prepared_options(schedule, batch_estimate));
        INFO(net.lowered().schedule_plan);
        CHECK(count_of(net.lowered().schedule_plan, "Winograd F(4x4, 3x3)") == f4);
        CHECK(count_of(net.lowered().schedule_plan, "Winograd F(2x2, 3x3)") == f2);
        test::check_close(net.run(input, net.prepare(w)), want, 1e-4);
        test::check_close(net.run(input, w), want, 1e-4);  // transformed on the call
    }
}

}  // namespace

TEST_CASE("winograd: F(4x4, 3x3) convs, residual block and an unpadded conv, match the plain loops") {
    check_winograd_net<FourByFour>("winograd 4x4", 3, 1);
}

TEST_CASE("winograd: F(2x2, 3x3) convs on a map too narrow for 4x4 tiles, without bias, match the plain loops") {
    check_winograd_net<TwoByTwo>("winograd 2x2", 0, 2);
}

TEST_CASE("winograd: plans it cannot compute are refused by name") {
    using Mixed = Net<Input<16, 16, 16>, Conv<32, Kernel<3>, Same>, Relu, MaxPool<Window<2>, Stride<2>>, Conv<32, Kernel<1>>, Relu,
                  Conv<32, Kernel<3>, Stride<2>, Same>>;
    codegen::Lowered net = codegen::lower(describe<Mixed>());
    net.weights_prepared = true;
    const std::vector<codegen::FusionGroup> groups = codegen::fusion_groups(net);
    const codegen::MachineModel machine = codegen::MachineModel::for_target(Halide::get_host_target());
    auto winograd = [&](const codegen::FusionGroup& group, int m) {
        codegen::ConvGroupPlan plan = codegen::plan_conv_group(net, group, machine);
        plan.loop = codegen::ConvGroupPlan::Loop::winograd;
        plan.winograd_tile = m;
        return test::error_of([&] { codegen::check_conv_group_plan(net, group, plan); });
    };
    REQUIRE(groups.size() >= 3);
    CHECK(winograd(groups[0], 4).find("not under a pool") != std::string::npos);  // conv..pool
    CHECK(winograd(groups[1], 4).find("3x3 stride-1 conv") != std::string::npos);  // 1x1
    CHECK(winograd(groups[2], 2).find("3x3 stride-1 conv") != std::string::npos);  // stride 2
    // A conv Winograd can compute, with a tile it has no matrices for; and without prepared weights.
    using Plain = Net<Input<16, 16, 16>, Conv<32, Kernel<3>, Same>>;
    codegen::Lowered plain = codegen::lower(describe<Plain>());
    plain.weights_prepared = true;
    const codegen::FusionGroup group = codegen::fusion_groups(plain).front();
    codegen::ConvGroupPlan plan = codegen::plan_conv_group(plain, group, machine);
    CHECK(plan.loop == codegen::ConvGroupPlan::Loop::winograd);
    plan.winograd_tile = 3;
    CHECK(test::error_of([&] { codegen::check_conv_group_plan(plain, group, plan); }).find("winograd_tile must be 2 or 4") != std::string::npos);
    plan.winograd_tile = 4;
    plain.weights_prepared = false;
    CHECK(test::error_of([&] { codegen::check_conv_group_plan(plain, group, plan); }).find("needs prepared weights") != std::string::npos);
    CHECK(codegen::plan_conv_group(plain, group, machine).loop != codegen::ConvGroupPlan::Loop::winograd);
}

TEST_CASE("winograd: the tuner's algorithm axis offers the direct conv and both tiles, only with prepared weights") {
    using Plain = Net<Input<16, 16, 16>, Conv<32, Kernel<3>, Same>, Relu>;
    codegen::Lowered net = codegen::lower(describe<Plain>());
    const codegen::FusionGroup group = codegen::fusion_groups(net).front();
    const codegen::MachineModel machine = codegen::MachineModel::for_target(Halide::get_host_target());
    const codegen::ConvGroupPlan direct = codegen::plan_conv_group(net, group, machine);
    CHECK(codegen::plan_variants(net, group, machine, direct, codegen::PlanAxis::algorithm).empty());
    net.weights_prepared = true;
    const codegen::ConvGroupPlan chosen = codegen::plan_conv_group(net, group, machine);
    REQUIRE(chosen.loop == codegen::ConvGroupPlan::Loop::winograd);
    const std::vector<codegen::ConvGroupPlan> variants = codegen::plan_variants(net, group, machine, chosen, codegen::PlanAxis::algorithm);
    REQUIRE(variants.size() == 2);  // the other tile and the direct conv; every one a valid plan
    int direct_plans = 0, tiles = chosen.winograd_tile;
    for (const codegen::ConvGroupPlan& p : variants) {
        if (p.loop == codegen::ConvGroupPlan::Loop::winograd) tiles += p.winograd_tile;
        else ++direct_plans;
        CHECK_NOTHROW(codegen::check_conv_group_plan(net, group, p));
    }
    CHECK(direct_plans == 1);
    CHECK(tiles == 6);  // 2 and 4
    // Tile and band variants of a Winograd plan stay Winograd plans with whole tile rows a band.
    for (const codegen::PlanAxis axis : {codegen::PlanAxis::register_tile, codegen::PlanAxis::row_bands})
        for (const codegen::ConvGroupPlan& p : codegen::plan_variants(net, group, machine, chosen, axis)) {
        CHECK(p.loop == codegen::ConvGroupPlan::Loop::winograd);
        CHECK((p.band_rows % p.winograd_tile == 0 || p.band_rows == 16));
        }
}

TEST_CASE("winograd: a tuned Winograd plan gives way to the cost model in a net that reads plain weights, and says why") {
    using Plain = Net<Input<16, 16, 16>, Conv<32, Kernel<3>, Same>, Relu>;
    const NetSpec spec = describe<Plain>();
    codegen::Lowered prepared = codegen::lower(spec);
    prepared.weights_prepared = true;
    const codegen::FusionGroup group = codegen::fusion_groups(prepared).front();
    const codegen::MachineModel machine =
        codegen::MachineModel::for_target(codegen::runnable_here(Halide::get_jit_target_from_environment()));
    const codegen::ConvGroupPlan winograd = codegen::plan_conv_group(prepared, group, machine);
    REQUIRE(winograd.loop == codegen::ConvGroupPlan::Loop::winograd);
    codegen::JitOptions options{"fused", 1};
    options.tuning.entries[codegen::tuning_key(machine, prepared, group)] = codegen::TunedPlan{winograd};
    const codegen::JitNet net(spec, options);  // plain weights: no Winograd
    INFO(net.lowered().schedule_plan);
    CHECK(net.lowered().schedule_plan.find("cost model; the tuned Winograd plan needs prepared weights") != std::string::npos);
    CHECK(count_of(net.lowered().schedule_plan, "Winograd F(") == 0);
    auto rng = test::rng_for("winograd tuned, plain weights");
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    Tensor input(2, spec.input);
    test::fill_uniform(input, rng);
    test::check_close(net.run(input, w), ref::run_net(spec, w, test::to_ref(input)), 2e-5);
    // With prepared weights the same file's plan is taken.
    options.packed_weights = true;
    const codegen::JitNet packed(spec, options);
    CHECK(packed.lowered().schedule_plan.find("Winograd F(") != std::string::npos);
    CHECK(packed.lowered().schedule_plan.find("(tuned") != std::string::npos);
    test::check_close(packed.run(input, packed.prepare(w)), ref::run_net(spec, w, test::to_ref(input)), 1e-4);
}
