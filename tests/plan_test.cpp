// The machine model and the conv group plans made from it: what each named CPU and override
// gives, the errors for bad descriptions, the rules every plan keeps on every machine (register
// tiles that fit the registers, weight slices that fit L2, tasks for every core), and the plans a
// few real shapes get on machines that differ in the one property the plan depends on. Whether a
// plan computes the right answer is tested in random_block_test.cpp, under several machines.
#include <functional>
#include <thread>

#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/machine_model.hpp"
#include "kiln/codegen/plan_space.hpp"
#include "nets/cifar10.hpp"
#include "nets/googlenet.hpp"
#include "nets/workloads.hpp"
#include "support.hpp"

using namespace kiln;
using codegen::ConvGroupPlan;
using codegen::MachineModel;

namespace {

using test::error_of;

const Halide::Target avx2("x86-64-linux-avx2-fma-f16c-sse41");
const Halide::Target avx512("x86-64-linux-avx2-fma-f16c-sse41-avx512-avx512_skylake");

struct PlannedGroup {
    codegen::FusionGroup group;
    ConvGroupPlan plan;
};

// Every conv group of `spec` at `batch`, planned for `machine`.
std::vector<PlannedGroup> plans(const codegen::Lowered& net, const MachineModel& machine) {
    std::vector<PlannedGroup> out;
    for (const auto& g : codegen::fusion_groups(net))
        if (g.starts_with_conv) out.push_back({g, codegen::plan_conv_group(net, g, machine)});
    return out;
}

ConvGroupPlan first_plan(const NetSpec& spec, int batch, const MachineModel& machine, std::size_t group = 0) {
    const codegen::Lowered net = codegen::lower(spec, batch);
    return plans(net, machine).at(group).plan;
}

}  // namespace

TEST_CASE("machine model: named CPUs take the vector width from the target, caches from the CPU") {
    const MachineModel spr = MachineModel::for_target(avx512, "xeon-spr");
    CHECK(spr.vector_lanes == 16);
    CHECK(spr.vector_registers == 32);
    CHECK(spr.l1d_bytes == 48 << 10);
    CHECK(spr.l2_bytes == 2 << 20);
    CHECK(spr.fma_lanes_per_cycle == 32);
    const MachineModel zen3 = MachineModel::for_target(avx2, "zen3");
    CHECK(zen3.vector_lanes == 8);
    CHECK(zen3.vector_registers == 16);
    CHECK(zen3.l2_bytes == 512 << 10);
    CHECK(zen3.fma_lanes_per_cycle == 16);
    // AVX2 code on Zen 5 issues two 8-lane FMAs per cycle, not two 16-lane ones.
    CHECK(MachineModel::for_target(avx2, "zen5").fma_lanes_per_cycle == 16);
    CHECK(MachineModel::for_target(avx512, "zen5").fma_lanes_per_cycle == 32);
    // A named CPU's core count is the running machine's until overridden.
    CHECK(spr.cores == int(std::max(1u, std::thread::hardware_concurrency())));
    CHECK(spr.cores_from_host);
    for (const auto& name : MachineModel::cpu_names()) {
        INFO(name);
        const MachineModel m = MachineModel::for_target(avx2, name);
        CHECK(m.cpu == name);
        CHECK(m.l1d_bytes < m.l2_bytes);
        CHECK(m.l2_bytes < m.l3_bytes);
    }
}

TEST_CASE("machine model: fields override the CPU's, the host is read from the running machine") {
    const MachineModel m = MachineModel::for_target(avx512, "zen4,cores=16,l2=2MiB,l1d=48K,l3=1.5MiB,fma=8");
    CHECK(m.cpu == "zen4");
    CHECK(m.cores == 16);
    CHECK_FALSE(m.cores_from_host);
    CHECK(m.l2_bytes == 2 << 20);
    CHECK(m.l1d_bytes == 48 << 10);
    CHECK(m.l3_bytes == 3 << 19);
    CHECK(m.fma_lanes_per_cycle == 8);
    CHECK(m.describe().find("zen4: 16 fp32 lanes, 32 vector registers, L1d 48 KiB, L2 2 MiB") == 0);
    CHECK(m.describe().find("16 cores,") != std::string::npos);

    const MachineModel host = MachineModel::for_target(avx2);
    CHECK(host.cpu.rfind("host (", 0) == 0);
    CHECK(host.l2_bytes > 0);
    CHECK(host.describe().find("(host)") != std::string::npos);
    // Overrides alone apply to the host.
    CHECK(MachineModel::for_target(avx2, "l2=512KiB").l2_bytes == 512 << 10);
    CHECK(MachineModel::for_target(avx2, "host,cores=3").cores == 3);
}

TEST_CASE("machine model: a bad description is an error that says what is valid") {
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen9"); }).find("unknown CPU 'zen9'; valid CPUs: host, generic, zen3") !=
          std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx512, "zen3"); }).find("zen3 cannot run target") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,l2=big"); }).find("l2=big is not a size") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,l2=0"); }).find("l2=0 is not a size") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,l2=2TiB"); }).find("is not a size") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,cores=0"); }).find("cores=0 is not a whole number from 1") !=
          std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,cores=2x"); }).find("cores=2x") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,ways=8"); }).find("unknown field 'ways'") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "zen4,cores"); }).find("is not field=value") != std::string::npos);
    CHECK(error_of([] { MachineModel::for_target(avx2, "cores=2,zen4"); }).find("is not field=value") != std::string::npos);
    // And through the JIT, before anything is compiled.
    codegen::JitOptions options;
    options.machine = "zen9";
    CHECK(error_of([&] { codegen::JitNet::compile<nets::W1>(options); }).find("unknown CPU 'zen9'") != std::string::npos);
}

TEST_CASE("conv group plans keep their rules on every machine, ISA, batch and real shape") {
    const std::vector<NetSpec> specs = {describe<nets::W1>(),           describe<nets::W2>(), describe<nets::W3>(),
                                        describe<nets::W4>(),           describe<nets::Cifar10Model4>(),
                                        describe<nets::Cifar10Model3>(), describe<nets::GoogLeNet>()};
    std::vector<std::string> machines;
    for (const auto& name : MachineModel::cpu_names())
        for (const char* cores : {"1", "2", "7", "64"}) machines.push_back(name + ",cores=" + cores);
    machines.push_back("generic,l2=64KiB,cores=3");
    int checked = 0;
    for (const auto& spec : specs)
        for (int batch : {1, 2, 8, 128}) {
            const codegen::Lowered net = codegen::lower(spec, batch);
            for (const auto* target : {&avx2, &avx512})
                for (const auto& description : machines) {
                    if (target == &avx512 && description.rfind("zen3", 0) == 0) continue;  // no AVX-512
                    const MachineModel m = MachineModel::for_target(*target, description);
                    for (const auto& [group, plan] : plans(net, m)) {
                        const LayerSpec& conv = *net.layers[group.first()].spec;
                        INFO(description << ", " << target->to_string() << ", batch " << batch << ", layer " << conv.name
                                         << ": " << plan.describe());
                        REQUIRE_NOTHROW(codegen::check_conv_group_plan(net, group, plan));
                        // The target's vectors, or the widest narrower ones of at least 8 lanes
                        // that the channels are a whole number of.
                        if (plan.vector_lanes != m.vector_lanes) {
                            CHECK(conv.out.c % m.vector_lanes != 0);
                            CHECK(plan.vector_lanes >= 8);
                            CHECK(conv.out.c % plan.vector_lanes == 0);
                            CHECK(conv.out.c % (2 * plan.vector_lanes) != 0);
                        }
                        CHECK(plan.batch == batch);
                        const int rows = int(net.layers[group.last()].spec->out.h);
                        // Bands only when batch and channel blocks leave cores idle, and no more
                        // than the cores need (each band recomputes the rows its windows share).
                        const int independent = batch * plan.parallel_channel_blocks();
                        // Equal bands may fall short of the cores (12 rows for 5 cores: 4 bands
                        // of 3), never by half.
                        // Enough but unevenly many tasks for the cores (3 on 2): up to 4 bands,
                        // only where they keep the cores busier.
                        const auto busy = [&](int tasks) { return double(tasks) / (m.cores * ((tasks + m.cores - 1) / m.cores)); };
                        if (independent >= m.cores) {
                            if (busy(independent) >= 0.9) CHECK(plan.row_bands == 1);
                            CHECK(plan.row_bands <= 4);
                            if (plan.row_bands > 1) CHECK(busy(independent * plan.row_bands) > busy(independent));
                        } else {
                            CHECK(2 * plan.tasks() >= std::min(m.cores, independent * rows));
                            CHECK(plan.row_bands <= std::max(1, (m.cores + independent - 1) / independent));
                        }
                        // Images grouped into a task only under register tiles, dividing the
                        // batch, with 8 tasks a core left.
                        CHECK(batch % plan.images_per_task == 0);
                        if (plan.images_per_task > 1) {
                            CHECK(plan.loop == ConvGroupPlan::Loop::register_tiles);
                            CHECK(plan.tasks() >= 8 * m.cores);
                        }
                        ++checked;
                        // The tile: accumulators, its weight vectors, one broadcast input and one
                        // spare register; accumulators at most 3/4 of them, but for a pointwise
                        // conv's tile as wide as its row; at most one load per FMA.
                        const int v = plan.tile_vectors, cols = plan.tile_columns;
                        CHECK(v * cols + v + 2 <= m.vector_registers);
                        if (plan.loop == ConvGroupPlan::Loop::channel_rows) {
                            // Ragged channels: tiles of up to all the row's vectors, the last partly
                            // past the channels.
                            CHECK(conv.out.c % plan.vector_lanes != 0);
                            CHECK((plan.vector_lanes == m.vector_lanes || conv.out.c % 8 != 0));
                            CHECK(v * plan.vector_lanes < conv.out.c + plan.vector_lanes);
                            CHECK(cols <= conv.out.w);
                            continue;
                        }
                        if (!(codegen::is_pointwise_conv(conv) && cols == conv.out.w)) CHECK(v * cols <= m.vector_registers * 3 / 4);
                        // At most one load per FMA, but for one-vector tiles (1, 7 or 13 channel
                        // vectors), which must load one more: those fill at least half the
                        // accumulators the registers allow (or the row), never a 1 x 1 tile.
                        const int channel_vectors = int(conv.out.c) / plan.vector_lanes;
                        const int max_vectors = plan.loop == ConvGroupPlan::Loop::reduction_blocks ? 2 : 4;
                        bool one_vector_only = true;
                        for (int w = 2; w <= std::min(max_vectors, channel_vectors); ++w) one_vector_only &= channel_vectors % w != 0;
                        if (one_vector_only)
                            CHECK(cols >= std::min<long>(conv.out.w, m.vector_registers * 3 / 8));
                        else
                            CHECK(v + cols <= v * cols);
                        CHECK(cols <= conv.out.w);
                        const auto& attrs = std::get<ConvAttrs>(conv.attrs);
                        const auto slice = [&](long in_channels) {
                            return 4L * attrs.kernel.h * attrs.kernel.w * in_channels * plan.channel_block();
                        };
                        if (plan.loop == ConvGroupPlan::Loop::reduction_blocks) {
                            CHECK(slice(conv.in.c) > m.l2_bytes / 2);
                            CHECK(v <= 2);
                            CHECK(conv.in.c % plan.reduction_block == 0);
                            if (plan.reduction_block > 1) CHECK(slice(plan.reduction_block) <= m.l2_bytes / 4);
                        } else if (group.ends_with_pool) {
                            CHECK(slice(conv.in.c) <= m.l2_bytes / 2);
                        }
                    }
                }
        }
    CHECK(checked > 5000);
}

TEST_CASE("conv group plans: a depthwise conv, and a pointwise one over an input larger than L2, take whole pixels per task") {
    // W6's 3x3 depthwise conv over 56x56x128: channel blocks in turn, parallel over row bands only.
    for (const char* machine : {"xeon-spr,cores=2", "zen3,cores=2", "zen3,cores=16"}) {
        CAPTURE(machine);
        const MachineModel m = MachineModel::for_target(std::string(machine).rfind("xeon", 0) == 0 ? avx512 : avx2, machine);
        const ConvGroupPlan dw = first_plan(describe<nets::W6>(), 1, m);
        CHECK(dw.loop == ConvGroupPlan::Loop::serial_channel_blocks);
        CHECK(56 % dw.tile_columns == 0);
        CHECK(dw.channel_blocks * dw.channel_block() == 128);
        CHECK(dw.tasks() == dw.row_bands);
        // One band per core, of equal height (56 rows on 16 cores: 14 bands of 4).
        CHECK(dw.band_rows == (56 + m.cores - 1) / m.cores);
        CHECK(dw.row_bands * dw.band_rows >= 56);
        // Accumulators, three weight vectors per channel vector and two spare fit the registers.
        CHECK(dw.tile_vectors * (dw.tile_columns + 3) + 2 <= m.vector_registers);
        // The pointwise conv after it reads 1.5 MiB of input, more than half of these L2s: its
        // channel blocks in turn too, so a task reads each input pixel once.
        const ConvGroupPlan pw = first_plan(describe<nets::W6>(), 1, m, 1);
        CHECK(pw.loop == ConvGroupPlan::Loop::serial_channel_blocks);
        CHECK(pw.tasks() == pw.row_bands);
        // So the depthwise output (1.5 MiB, more than half of L2) is computed a row at a time
        // inside the pointwise conv's tasks, which read whole rows; the pointwise conv itself is
        // stored.
        CHECK(pw.tasks_read_whole_rows());
        CHECK(dw.inside_consumer == 1);
        CHECK(pw.inside_consumer == 0);
        CHECK(dw.describe().find("computed a row at a time inside the next group's tasks") != std::string::npos);
    }
    // With a 16 MiB L2 the input stays in L2: parallel channel blocks, and the depthwise output stored.
    const MachineModel big = MachineModel::for_target(avx512, "xeon-spr,cores=2,l2=16MiB");
    const ConvGroupPlan big_l2 = first_plan(describe<nets::W6>(), 1, big, 1);
    CHECK(big_l2.loop == ConvGroupPlan::Loop::register_tiles);
    CHECK(big_l2.channel_blocks == 2);
    CHECK(big_l2.tasks() == 2);
    CHECK(!big_l2.tasks_read_whole_rows());
    CHECK(first_plan(describe<nets::W6>(), 1, big).inside_consumer == 0);
    // W6's depthwise half alone has no consumer: a plan computing it inside one is refused, and
    // so is one that computes the pointwise conv (no depthwise group) inside anything.
    const MachineModel spr = MachineModel::for_target(avx512, "xeon-spr,cores=2");
    const codegen::Lowered dw_alone = codegen::lower(describe<nets::W6Depthwise>(), 1);
    const codegen::FusionGroup dw_group = codegen::fusion_groups(dw_alone).front();
    ConvGroupPlan inside = codegen::plan_conv_group(dw_alone, dw_group, spr);
    CHECK(inside.inside_consumer == 0);
    inside.inside_consumer = 1;
    CHECK_THROWS_WITH_AS(codegen::check_conv_group_plan(dw_alone, dw_group, inside),
                         doctest::Contains("only a depthwise group read by a pointwise conv, or a pointwise group read by a depthwise conv"),
                         kiln::Error);
    const codegen::Lowered w6 = codegen::lower(describe<nets::W6>(), 1);
    const codegen::FusionGroup pw_group = codegen::fusion_groups(w6).at(1);
    ConvGroupPlan pw_inside = codegen::plan_conv_group(w6, pw_group, spr);
    pw_inside.inside_consumer = 1;
    CHECK_THROWS_AS(codegen::check_conv_group_plan(w6, pw_group, pw_inside), kiln::Error);
}

TEST_CASE("conv group plans: a pointwise conv over short rows takes a tile as wide as the row where the registers allow") {
    // GoogLeNet's inception 4a branch 1: 1x1 over 14x14x480 to 192 channels. On AVX-512 (32
    // registers) 2 vectors x 14 columns (28 accumulators, 2 weight vectors, a broadcast, a spare)
    // beat 4 x 5 + a 4-column tile; on AVX2 (16 registers) no such tile fits.
    using Inception4aBranch1 = Net<Input<14, 14, 480>, Conv<192, Kernel<1>>, Relu>;
    const ConvGroupPlan spr = first_plan(describe<Inception4aBranch1>(), 1, MachineModel::for_target(avx512, "xeon-spr,cores=2"));
    CHECK(spr.tile_vectors == 2);
    CHECK(spr.tile_columns == 14);
    const ConvGroupPlan zen3 = first_plan(describe<Inception4aBranch1>(), 1, MachineModel::for_target(avx2, "zen3,cores=2"));
    CHECK(zen3.tile_columns < 14);
    // A 3x3 conv over the same rows keeps the 3/4 cap.
    using ThreeByThree = Net<Input<14, 14, 96>, Conv<192, Kernel<3>, Same>, Relu>;
    const ConvGroupPlan three = first_plan(describe<ThreeByThree>(), 1, MachineModel::for_target(avx512, "xeon-spr,cores=2"));
    CHECK(three.tile_vectors * three.tile_columns <= 24);
}

TEST_CASE("conv group plans: the tile follows the registers, the reduction block L2, the bands the cores") {
    // W1 (24 columns, 64 channels) on AVX-512: 2 x 12 and 4 x 6 both keep 24 accumulators busy;
    // at batch 1 the narrower wins, giving 2 channel blocks to run in parallel.
    const MachineModel spr2 = MachineModel::for_target(avx512, "xeon-spr,cores=2");
    const ConvGroupPlan w1 = first_plan(describe<nets::W1>(), 1, spr2);
    CHECK(w1.loop == ConvGroupPlan::Loop::register_tiles);
    CHECK(w1.tile_vectors == 2);
    CHECK(w1.tile_columns == 12);
    CHECK(w1.channel_blocks == 2);
    CHECK(w1.row_bands == 1);
    CHECK(w1.tasks() == 2);
    CHECK(w1.fold_rows == 16);  // (3 + 2) pooled conv rows read 9 padded input rows
    // 16 cores: the 2 channel blocks leave 14 idle, so the 12 pooled rows go in bands of 2.
    const ConvGroupPlan w1_16 = first_plan(describe<nets::W1>(), 1, MachineModel::for_target(avx512, "xeon-spr,cores=16"));
    CHECK(w1_16.band_rows == 2);
    CHECK(w1_16.row_bands == 6);
    CHECK(w1_16.tasks() == 12);
    // At batch 8 the batch alone fills 2 cores.
    CHECK(first_plan(describe<nets::W1>(), 8, spr2).row_bands == 1);
    CHECK(w1.images_per_task == 1);

    // W2 at batch 128 (one channel block): a task copies its 400 KB of weights once for 8 images,
    // not once an image, leaving 16 tasks for 2 cores; 2 images at batch 32; on 16 cores, 128
    // tasks of one image each; on 1 core at batch 12, one image a task (6 tasks of 2 would leave
    // fewer than 8).
    const ConvGroupPlan w2_128 = first_plan(describe<nets::W2>(), 128, spr2);
    CHECK(w2_128.images_per_task == 8);
    CHECK(w2_128.tasks() == 16);
    CHECK(first_plan(describe<nets::W2>(), 32, spr2).images_per_task == 2);
    CHECK(first_plan(describe<nets::W2>(), 128, MachineModel::for_target(avx512, "xeon-spr,cores=16")).images_per_task == 1);
    CHECK(first_plan(describe<nets::W2>(), 12, MachineModel::for_target(avx512, "xeon-spr,cores=1")).images_per_task == 1);
    CHECK(first_plan(describe<nets::W2>(), 12, MachineModel::for_target(avx512, "xeon-spr,cores=1")).tasks() == 12);
    // W4 at batch 8: 4 channel blocks an image, so 2 images a task leave 16 tasks.
    const ConvGroupPlan w4_8 = first_plan(describe<nets::W4>(), 8, spr2);
    CHECK(w4_8.channel_blocks == 4);
    CHECK(w4_8.images_per_task == 2);
    CHECK(w4_8.tasks() == 16);
    CHECK(w4_8.describe().find("x batch 8 (2 images a task) = 16 tasks") != std::string::npos);

    // Inception 3b's 3x3 conv (28x28x128 -> 192) at batch 1: its 3 channel blocks of 64 on 2
    // cores left one core idle a third of the time; 2 bands of each make 6 even tasks.
    ConvAttrs c3b;
    c3b.filters = 192, c3b.kernel = Extent2{3, 3}, c3b.padding = Padding{PaddingKind::same, {}, {}};
    const codegen::Lowered inception_3b = codegen::lower(test::net_of({make_layer_spec(c3b, Shape{28, 28, 128}, "1")}), 1);
    const ConvGroupPlan c3b_plan = plans(inception_3b, spr2).at(0).plan;
    CHECK(c3b_plan.channel_blocks == 3);
    CHECK(c3b_plan.row_bands == 2);
    CHECK(c3b_plan.tasks() == 6);

    // GoogLeNet's 1x1 convs to 24 channels (inception 4b, 4c): on AVX-512, register tiles of
    // three 8-lane vectors instead of a row at a time with a ragged 16-lane vector.
    ConvAttrs reduce_5x5;
    reduce_5x5.filters = 24, reduce_5x5.kernel = Extent2{1, 1};
    const codegen::Lowered inception_4b = codegen::lower(test::net_of({make_layer_spec(reduce_5x5, Shape{14, 14, 512}, "1")}), 1);
    const ConvGroupPlan r4b = plans(inception_4b, spr2).at(0).plan;
    CHECK(r4b.loop == ConvGroupPlan::Loop::register_tiles);
    CHECK(r4b.vector_lanes == 8);
    CHECK(r4b.channel_block() == 24);
    // On AVX2 24 channels are 3 whole vectors anyway; 20 are not, and 4-lane vectors are too narrow.
    CHECK(plans(inception_4b, MachineModel::for_target(avx2, "zen3,cores=2")).at(0).plan.vector_lanes == 8);
    reduce_5x5.filters = 20;
    const codegen::Lowered twenty = codegen::lower(test::net_of({make_layer_spec(reduce_5x5, Shape{14, 14, 512}, "1")}), 1);
    CHECK(plans(twenty, spr2).at(0).plan.loop == ConvGroupPlan::Loop::channel_rows);
    CHECK(plans(twenty, spr2).at(0).plan.vector_lanes == 16);

    // W4 (56 columns, 192 channels) on AVX2's 16 registers: 2 x 6, 12 accumulators.
    const ConvGroupPlan w4 = first_plan(describe<nets::W4>(), 1, MachineModel::for_target(avx2, "zen3,cores=2"));
    CHECK(w4.tile_vectors == 2);
    CHECK(w4.tile_columns == 6);
    CHECK(w4.channel_blocks == 12);

    // Model 4's second conv (16 x 16 x 256 -> 128, 5 x 5): a 4 x 6 tile's 1.6 MB weight slice
    // exceeds half of a 1 or 2 MiB L2, so the tile narrows to 2 x 8 (819 KB). On Zen 4's 1 MiB
    // that is still over half: the reduction is blocked, 64 of the 256 input channels a slice
    // (a quarter of L2). The Xeon's 2 MiB holds it whole.
    const NetSpec model4 = describe<nets::Cifar10Model4>();
    const ConvGroupPlan zen4 = first_plan(model4, 1, MachineModel::for_target(avx512, "zen4,cores=2"), 1);
    CHECK(zen4.loop == ConvGroupPlan::Loop::reduction_blocks);
    CHECK(zen4.tile_vectors == 2);
    CHECK(zen4.tile_columns == 8);
    CHECK(zen4.reduction_block == 64);
    const ConvGroupPlan spr = first_plan(model4, 1, MachineModel::for_target(avx512, "xeon-spr,cores=2"), 1);
    CHECK(spr.loop == ConvGroupPlan::Loop::register_tiles);
    CHECK(spr.tile_vectors == 2);
    CHECK(spr.tile_columns == 8);
    // A 256 KiB L2 blocks by 16: 16 x 25 taps x 32 channels x 4 bytes = 51 KB, under 64 KiB.
    CHECK(first_plan(model4, 1, MachineModel::for_target(avx512, "zen4,cores=2,l2=256KiB"), 1).reduction_block == 16);
    // With a 16 MiB L2 the whole slice fits: register tiles, the 4 x 6 tile back.
    const ConvGroupPlan big_l2 = first_plan(model4, 1, MachineModel::for_target(avx512, "xeon-spr,cores=2,l2=16MiB"), 1);
    CHECK(big_l2.loop == ConvGroupPlan::Loop::register_tiles);
    CHECK(big_l2.tile_vectors == 4);
    CHECK(big_l2.tile_columns == 6);

    // The plan is what the schedule applies, and what the net reports.
    codegen::JitOptions options;
    options.machine = "xeon-spr,cores=16";
    options.target = "host";
    const auto net = codegen::JitNet::compile<nets::W2>(options);
    CHECK(net.lowered().machine.find("xeon-spr") == 0);
    CHECK(net.lowered().schedule_plan.find("l1_conv..l3_pool: ") == 0);
}

TEST_CASE("conv group plans: a plan that cannot schedule its group is refused before it is applied") {
    const codegen::Lowered net = codegen::lower(describe<nets::W1>(), 1);
    const auto groups = codegen::fusion_groups(net);
    const ConvGroupPlan good = codegen::plan_conv_group(net, groups.front(), MachineModel::for_target(avx512, "xeon-spr,cores=2"));
    const auto refused = [&](auto change) {
        ConvGroupPlan plan = good;
        change(plan);
        return error_of([&] { codegen::check_conv_group_plan(net, groups.front(), plan); });
    };
    CHECK(refused([](ConvGroupPlan&) {}) == "(no error)");
    CHECK(refused([](ConvGroupPlan& p) { p.tile_vectors = 3; }).find("does not divide the 64 output channels") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.band_rows = 5; }).find("row bands must cover the 12 rows") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.fold_rows = 12; }).find("power of two") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.loop = ConvGroupPlan::Loop::reduction_blocks, p.reduction_block = 5; })
              .find("dividing the 3 input channels") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.channel_blocks = 3; }).find("channel_blocks x channel block") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.images_per_task = 2; }).find("between 1 and the batch of 1") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.images_per_task = 0; }).find("between 1 and the batch of 1") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.batch = 4, p.images_per_task = 3; }) == "(no error)");
    CHECK(refused([](ConvGroupPlan& p) {
              p.batch = 4, p.images_per_task = 2, p.loop = ConvGroupPlan::Loop::reduction_blocks, p.reduction_block = 1;
          }).find("images_per_task above 1 needs register_tiles") != std::string::npos);
    // W1's pooled rows read 16 padded input rows: a narrower fold would reuse rows still needed.
    CHECK(refused([](ConvGroupPlan& p) { p.fold_rows = 8; }).find("at least 16") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.fold_rows = 0; }) == "(no error)");
    // Twelve bands of one pooled row read 7 padded input rows each: a 16-row fold saves nothing,
    // and Halide 14 checked such a fold against the wrong first row (plan_conv_group.cpp).
    CHECK(refused([](ConvGroupPlan& p) { p.row_bands = 12, p.band_rows = 1; }).find("a fold saves nothing") != std::string::npos);
    CHECK(refused([](ConvGroupPlan& p) { p.row_bands = 12, p.band_rows = 1, p.fold_rows = 0; }) == "(no error)");
    const codegen::Lowered unpadded = codegen::lower(test::net_of({make_layer_spec(ConvAttrs{8, {3, 3}}, Shape{6, 6, 4}, "1")}), 1);
    ConvGroupPlan no_fold = codegen::plan_conv_group(unpadded, codegen::fusion_groups(unpadded).front(), MachineModel::for_target(avx2, "generic"));
    no_fold.fold_rows = 4;
    CHECK(error_of([&] { codegen::check_conv_group_plan(unpadded, codegen::fusion_groups(unpadded).front(), no_fold); })
              .find("fold_rows must be 0") != std::string::npos);
}

TEST_CASE("the plan space: every variant a tuner tries is valid, new, and along its own axis") {
    const std::vector<NetSpec> specs = {describe<nets::W1>(), describe<nets::W2>(), describe<nets::W4>(), describe<nets::GoogLeNet>()};
    int variants = 0;
    for (const auto& spec : specs)
        for (int batch : {1, 8}) {
            const codegen::Lowered net = codegen::lower(spec, batch);
            for (const auto* target : {&avx2, &avx512}) {
                const MachineModel m = MachineModel::for_target(*target, "generic,cores=4");
                for (const auto& [group, plan] : plans(net, m)) {
                    INFO(net.layers[group.first()].spec->name << ", batch " << batch << ", " << target->to_string());
                    for (auto axis : {codegen::PlanAxis::register_tile, codegen::PlanAxis::row_bands, codegen::PlanAxis::reduction,
                                      codegen::PlanAxis::images_per_task}) {
                        const auto found = codegen::plan_variants(net, group, m, plan, axis);
                        for (std::size_t i = 0; i < found.size(); ++i) {
                            const ConvGroupPlan& v = found[i];
                            ++variants;
                            CHECK(error_of([&] { codegen::check_conv_group_plan(net, group, v); }) == "(no error)");
                            CHECK(v != plan);
                            for (std::size_t j = 0; j < i; ++j) CHECK(found[j] != v);
                            CHECK(v.batch == plan.batch);
                            CHECK(v.vector_lanes == plan.vector_lanes);
                            // The fold follows the bands: none where a band's rows fit in it.
                            CHECK((v.fold_rows == plan.fold_rows || v.fold_rows == 0 || plan.fold_rows == 0));
                            if (axis == codegen::PlanAxis::row_bands) {
                                CHECK(v.tile_vectors == plan.tile_vectors);
                                CHECK(v.tile_columns == plan.tile_columns);
                                CHECK(v.loop == plan.loop);
                            }
                            if (axis == codegen::PlanAxis::register_tile) {
                                CHECK(v.loop == plan.loop);
                                CHECK(v.tile_vectors * v.tile_columns + v.tile_vectors + 2 <= m.vector_registers);
                            }
                            if (axis == codegen::PlanAxis::reduction) CHECK(group.ends_with_pool);
                            if (axis == codegen::PlanAxis::images_per_task) {
                                CHECK(batch > 1);
                                CHECK(v.loop == ConvGroupPlan::Loop::register_tiles);
                                CHECK(batch % v.images_per_task == 0);
                                CHECK(v.tasks() >= m.cores);
                                CHECK(v.images_per_task != plan.images_per_task);
                            }
                            // A task of several images only under register tiles.
                            CHECK((v.images_per_task == 1 || v.loop == ConvGroupPlan::Loop::register_tiles));
                        }
                    }
                }
            }
        }
    CHECK(variants > 500);
}
