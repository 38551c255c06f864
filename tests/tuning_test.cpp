// Tuning files, keys and the tuner: a file round-trips and a bad one is refused with what is wrong;
// keys are equal exactly for groups one plan serves; a tuned plan is the one the schedule applies
// and computes the reference's answer; the tuner never writes a plan slower than the cost model's
// and its file gives every group a measured plan.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/plan_space.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/codegen/tune.hpp"
#include "kiln/codegen/tuning.hpp"
#include "nets/workloads.hpp"
#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;
using codegen::ConvGroupPlan;
using codegen::MachineModel;
using codegen::Tuning;

namespace {

using test::error_of;

// A file in the build tree's temporary directory, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name, const std::string& text = "")
        : path((std::filesystem::temp_directory_path() / ("kiln_tuning_test_" + std::to_string(::getpid()) + "_" + name)).string()) {
        if (!text.empty()) std::ofstream(path) << text;
    }
    ~TempFile() { std::filesystem::remove(path); }
};

// Two conv blocks of one shape (one key), and a third of another.
using Repeated = Net<Input<10, 10, 16>, Conv<16, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Same>, Relu,
                     Conv<32, Kernel<3>, Same>, Relu, MaxPool<Window<2>>>;

const Halide::Target here = codegen::runnable_here(Halide::get_host_target());

std::vector<codegen::FusionGroup> conv_groups(const codegen::Lowered& net) {
    std::vector<codegen::FusionGroup> out;
    for (const auto& g : codegen::fusion_groups(net))
        if (g.starts_with_conv) out.push_back(g);
    return out;
}

// Repeated lowered for `batch` on `machine`, its conv groups, and the options that compile it so.
struct RepeatedPlanned {
    codegen::JitOptions options;
    codegen::Lowered net;
    MachineModel machine;
    std::vector<codegen::FusionGroup> groups;
    RepeatedPlanned(int batch, const std::string& machine_description)
        : net(codegen::lower(describe<Repeated>(), batch)), machine(MachineModel::for_target(here, machine_description)),
          groups(conv_groups(net)) {
        options.batch_estimate = batch;
        options.machine = machine_description;
    }
};

void check_against_reference(const codegen::JitNet& net, int batch, const std::string& name) {
    auto rng = test::rng_for(name);
    Weights w = Weights::for_net(net.spec());
    w.fill_random(rng());
    Tensor input(batch, net.spec().input);
    test::fill_uniform(input, rng);
    test::check_close(net.run(input, w), ref::run_net(net.spec(), w, test::to_ref(input)), 1e-5);
}

}  // namespace

TEST_CASE("tuning files: what is saved is loaded, in a file a person can read") {
    Tuning tuning;
    ConvGroupPlan plan;
    plan.loop = ConvGroupPlan::Loop::reduction_blocks;
    plan.vector_lanes = 16, plan.tile_vectors = 2, plan.tile_columns = 8, plan.channel_blocks = 4;
    plan.row_bands = 3, plan.band_rows = 5, plan.reduction_block = 32, plan.fold_rows = 8, plan.batch = 2;
    tuning.entries["a key | with bars"] = {plan, 1.25, 1.5};
    tuning.entries["another"] = {ConvGroupPlan{}, 0.5, 0.5};
    TempFile file("roundtrip.json");
    tuning.save(file.path);
    const Tuning loaded = Tuning::load(file.path);
    REQUIRE(loaded.entries.size() == 2);
    const codegen::TunedPlan* found = loaded.find("a key | with bars");
    REQUIRE(found);
    CHECK(found->plan == plan);
    CHECK(found->ms == doctest::Approx(1.25));
    CHECK(found->cost_model_ms == doctest::Approx(1.5));
    CHECK(loaded.find("missing") == nullptr);
    std::ifstream in(file.path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("\"loop\": \"reduction_blocks\"") != std::string::npos);
    CHECK(text.rfind("{\n  \"kiln_tuning\": 1,", 0) == 0);
    CHECK(!std::filesystem::exists(file.path + ".partial"));

    ConvGroupPlan serial = plan;
    serial.loop = ConvGroupPlan::Loop::serial_channel_blocks, serial.reduction_block = 0, serial.fold_rows = 0;
    tuning.entries["serial"] = {serial, 1, 1};
    ConvGroupPlan grouped = plan;
    grouped.loop = ConvGroupPlan::Loop::register_tiles, grouped.reduction_block = 0, grouped.images_per_task = 2;
    tuning.entries["grouped"] = {grouped, 1, 1};
    tuning.save(file.path);
    const Tuning reloaded = Tuning::load(file.path);  // find() points into it: it must outlive the pointer
    const codegen::TunedPlan* serial_found = reloaded.find("serial");
    REQUIRE(serial_found);
    CHECK(serial_found->plan == serial);
    const codegen::TunedPlan* grouped_found = reloaded.find("grouped");
    REQUIRE(grouped_found);
    CHECK(grouped_found->plan == grouped);
}

TEST_CASE("tuning files: a bad file is refused with what is wrong, and nothing is loaded") {
    const std::string plan = R"({"loop": "register_tiles", "vector_lanes": 8, "tile_vectors": 2, "tile_columns": 6,
        "channel_blocks": 1, "row_bands": 1, "band_rows": 4, "reduction_block": 0, "fold_rows": 0, "batch": 1})";
    const auto with_entry = [&](const std::string& entry) { return R"({"kiln_tuning": 1, "entries": [)" + entry + "]}"; };
    const auto load_error = [](const std::string& text) {
        TempFile file("bad.json", text);
        return error_of([&] { Tuning::load(file.path); });
    };
    CHECK(error_of([] { Tuning::load("/nonexistent/kiln.tuning.json"); }).find("could not open tuning file") != std::string::npos);
    CHECK(load_error("{not json").find("is not JSON") != std::string::npos);
    CHECK(load_error(R"({"entries": []})").find("not a kiln tuning file (version 1)") != std::string::npos);
    CHECK(load_error(R"({"kiln_tuning": 2, "entries": []})").find("not a kiln tuning file (version 1)") != std::string::npos);
    CHECK(load_error(with_entry(R"({"plan": )" + plan + "}")).find("entry 0: needs a \"key\"") != std::string::npos);
    CHECK(load_error(with_entry(R"({"key": "k", "plan": 3})")).find("\"plan\" must be an object") != std::string::npos);
    std::string bad_loop = plan;
    bad_loop.replace(bad_loop.find("register_tiles"), 14, "spirals");
    CHECK(load_error(with_entry(R"({"key": "k", "plan": )" + bad_loop + "}")).find("plan \"loop\" must be") != std::string::npos);
    std::string missing = plan;
    missing.replace(missing.find("\"batch\": 1"), 10, "\"batchx\": 1");
    CHECK(load_error(with_entry(R"({"key": "k", "plan": )" + missing + "}")).find("\"batch\" is missing") != std::string::npos);
    std::string negative = plan;
    negative.replace(negative.find("\"row_bands\": 1"), 14, "\"row_bands\": -4");
    CHECK(load_error(with_entry(R"({"key": "k", "plan": )" + negative + "}")).find("\"row_bands\" = -4 is out of range") !=
          std::string::npos);
    std::string extra = plan;
    extra.insert(1, "\"unroll\": 4, ");
    CHECK(load_error(with_entry(R"({"key": "k", "plan": )" + extra + "}")).find("unknown plan field \"unroll\"") != std::string::npos);
    CHECK(load_error(with_entry(R"({"key": "k", "plan": )" + plan + R"(, "ms": "fast"})")).find("\"ms\" must be a non-negative") !=
          std::string::npos);
    const std::string twice = R"({"key": "k", "plan": )" + plan + "}";
    CHECK(load_error(with_entry(twice + ", " + twice)).find("entry 1: its key appears twice") != std::string::npos);
    CHECK(load_error(with_entry(twice)) == "(no error)");
}

TEST_CASE("tuning keys: equal for groups one plan serves, different for another shape, batch or machine") {
    const codegen::Lowered net = codegen::lower(describe<Repeated>(), 1), batch8 = codegen::lower(describe<Repeated>(), 8);
    const MachineModel m = MachineModel::for_target(here, "generic,cores=2"), other = MachineModel::for_target(here, "generic,cores=3");
    const auto groups = conv_groups(net);
    REQUIRE(groups.size() == 3);
    CHECK(codegen::tuning_key(m, net, groups[0]) == codegen::tuning_key(m, net, groups[1]));
    CHECK(codegen::tuning_key(m, net, groups[0]) != codegen::tuning_key(m, net, groups[2]));
    CHECK(codegen::tuning_key(m, net, groups[0]) != codegen::tuning_key(m, batch8, conv_groups(batch8)[0]));
    CHECK(codegen::tuning_key(m, net, groups[0]) != codegen::tuning_key(other, net, groups[0]));
    CHECK(codegen::tuning_key(m, net, groups[2]).find("pool 10x10x32 -> 5x5x32 w2x2") != std::string::npos);
}

TEST_CASE("tuned plans: the schedule applies the file's plan, says so, and computes the reference's answer") {
    const int batch = 2;
    RepeatedPlanned r(batch, "generic,cores=3");
    codegen::JitOptions& options = r.options;
    const codegen::Lowered& net = r.net;
    const MachineModel& m = r.machine;
    const auto& groups = r.groups;
    // A plan the cost model would not choose, for the two repeated blocks (one key), another band
    // split for the pooled block: each from the plan space the tuner searches.
    const ConvGroupPlan first = codegen::plan_conv_group(net, groups[0], m), last = codegen::plan_conv_group(net, groups[2], m);
    const auto tiles = codegen::plan_variants(net, groups[0], m, first, codegen::PlanAxis::register_tile);
    const auto bands = codegen::plan_variants(net, groups[2], m, last, codegen::PlanAxis::row_bands);
    REQUIRE(!tiles.empty());
    REQUIRE(!bands.empty());
    const ConvGroupPlan tuned_first = tiles.back(), tuned_last = bands.back();
    options.tuning.entries[codegen::tuning_key(m, net, groups[0])] = {tuned_first};
    options.tuning.entries[codegen::tuning_key(m, net, groups[2])] = {tuned_last};
    for (const char* schedule : {"fused", "unfused"}) {
        CAPTURE(schedule);
        options.schedule = schedule;
        const codegen::JitNet jit(describe<Repeated>(), options);
        const std::string& plans = jit.lowered().schedule_plan;
        CAPTURE(plans);
        if (options.schedule == "fused") {
            CHECK(plans.find("l1_conv..l2_activation: " + tuned_first.describe() + " (tuned)\n") != std::string::npos);
            CHECK(plans.find("l3_conv..l4_activation: " + tuned_first.describe() + " (tuned)\n") != std::string::npos);
            CHECK(plans.find("l5_conv..l7_pool: " + tuned_last.describe() + " (tuned)\n") != std::string::npos);
        } else {
            // Unfused groups are convs alone: other keys, so the cost model's plans.
            CHECK(plans.find("(tuned") == std::string::npos);
            CHECK(plans.find("(cost model)") != std::string::npos);
        }
        check_against_reference(jit, batch, std::string("tuned plans ") + schedule);
    }
}

TEST_CASE("images per task: a task computes its images in turn as the reference does, a short last group too") {
    // Batch 7 in tasks of 3 images: groups of 3, 3 and 1, whose last is cut short when the
    // pipeline runs; for the two unpooled blocks (one key) and the pooled one.
    const int batch = 7;
    RepeatedPlanned r(batch, "generic,cores=2");
    for (std::size_t g : {std::size_t(0), std::size_t(2)}) {
        ConvGroupPlan plan = codegen::plan_conv_group(r.net, r.groups[g], r.machine);
        REQUIRE(plan.loop == ConvGroupPlan::Loop::register_tiles);
        plan.images_per_task = 3;
        r.options.tuning.entries[codegen::tuning_key(r.machine, r.net, r.groups[g])] = {plan};
    }
    const codegen::JitNet jit(describe<Repeated>(), r.options);
    const std::string& plans = jit.lowered().schedule_plan;
    CAPTURE(plans);
    CHECK(plans.find("l1_conv..l2_activation: ") != std::string::npos);
    CHECK(plans.find("(3 images a task) = ") != std::string::npos);
    check_against_reference(jit, batch, "images per task");
}

TEST_CASE("tuned plans: one that cannot schedule its group, or was made for another batch, is an error") {
    codegen::JitOptions options;
    options.machine = "generic,cores=2";
    const codegen::Lowered net = codegen::lower(describe<nets::W1>(), 1);
    const MachineModel m = MachineModel::for_target(here, options.machine);
    const auto group = conv_groups(net).front();
    const std::string key = codegen::tuning_key(m, net, group);
    const ConvGroupPlan good = codegen::plan_conv_group(net, group, m);
    const auto error_with = [&](auto change) {
        ConvGroupPlan plan = good;
        change(plan);
        options.tuning.entries[key] = {plan};
        return error_of([&] { codegen::JitNet::compile<nets::W1>(options); });
    };
    CHECK(error_with([](ConvGroupPlan&) {}) == "(no error)");
    CHECK(error_with([](ConvGroupPlan& p) { p.tile_vectors = 3; }).find("does not divide the 64 output channels") != std::string::npos);
    CHECK(error_with([](ConvGroupPlan& p) { p.batch = 4; }).find("was made for batch 4, the net plans for 1") != std::string::npos);
    CHECK(error_with([](ConvGroupPlan& p) { p.fold_rows = 8; }).find("at least 16") != std::string::npos);
    CHECK(error_with([](ConvGroupPlan& p) { p.vector_lanes *= 2; }).find("-lane vectors") != std::string::npos);
}

TEST_CASE("tuned plans: a file from before 24 channels took 8-lane tiles still schedules, and computes the reference's answer") {
    // 24 output channels: on a 16-lane target the cost model now takes 8-lane register tiles; a
    // tuning file written before that holds the target's lanes (a row at a time), still a valid plan.
    using TwentyFour = Net<Input<6, 7, 16>, Conv<24, Kernel<3>, Same>, Relu>;
    codegen::JitOptions options;
    options.machine = "generic,cores=2";
    const codegen::Lowered net = codegen::lower(describe<TwentyFour>(), 1);
    const MachineModel m = MachineModel::for_target(here, options.machine);
    const auto group = conv_groups(net).front();
    ConvGroupPlan old_plan = codegen::plan_conv_group(net, group, m);
    old_plan.loop = ConvGroupPlan::Loop::channel_rows, old_plan.vector_lanes = m.vector_lanes;
    old_plan.tile_vectors = old_plan.tile_columns = old_plan.channel_blocks = 1;
    options.tuning.entries[codegen::tuning_key(m, net, group)] = {old_plan};
    const codegen::JitNet jit(describe<TwentyFour>(), options);
    CHECK(jit.lowered().schedule_plan.find("a row at a time, register tiles " + std::to_string(m.vector_lanes) + " ch x 1 cols (" +
                                          std::to_string(m.vector_lanes) + "-lane vectors, the last guarded)") != std::string::npos);
    check_against_reference(jit, 2, "a 24-channel plan from an older file");
}

TEST_CASE("the tuner: a measured plan per group, never slower than the cost model's, that computes the right answer") {
    codegen::TuneOptions options;
    options.batch_estimate = 2;
    options.machine = "host,cores=2";
    options.seconds = 6;
    options.max_candidates = 4;
    std::vector<std::string> lines;
    options.progress = [&](const std::string& line) { lines.push_back(line); };
    const NetSpec spec = describe<Repeated>();
    const Tuning tuning = codegen::tune_net(spec, options);
    // Two keys: the repeated blocks are measured once.
    REQUIRE(tuning.entries.size() == 2);
    for (const auto& [key, entry] : tuning.entries) {
        CAPTURE(key);
        CHECK(entry.ms > 0);
        CHECK(entry.ms <= entry.cost_model_ms);
    }
    REQUIRE(!lines.empty());
    CHECK(lines.front().find("tuning 2 conv groups (fused, batch 2)") == 0);

    codegen::JitOptions jit;
    jit.batch_estimate = options.batch_estimate;
    jit.machine = options.machine;
    jit.tuning = tuning;
    const codegen::JitNet net(spec, jit);
    const std::string& plans = net.lowered().schedule_plan;
    CAPTURE(plans);
    std::size_t tuned = 0;
    for (std::size_t at = plans.find("(tuned"); at != std::string::npos; at = plans.find("(tuned", at + 1)) ++tuned;
    CHECK(tuned == 3);
    check_against_reference(net, options.batch_estimate, "the tuner");

    // A second run with the file as its start tunes nothing again.
    lines.clear();
    const Tuning again = codegen::tune_net(spec, options, tuning);
    CHECK(again.entries.size() == 2);
    CHECK(lines.front().find("tuning 0 conv groups") == 0);

    options.schedule = "auto-adams2019";
    CHECK(error_of([&] { codegen::tune_net(spec, options); }).find("tunes the schedules that take conv group plans (fused, unfused), not 'auto-adams2019'") != std::string::npos);
    options.schedule = "fused";
    options.seconds = 0;
    CHECK(error_of([&] { codegen::tune_net(spec, options); }).find("more than 0 seconds") != std::string::npos);
}

TEST_CASE("tuning a depthwise group before a pointwise conv: timed with it, inside its tasks or stored, and a consumer plan that forbids it stores it") {
    // A 16 KiB L2: the cost model computes the depthwise output (10x12x32) inside the pointwise conv.
    using Block = Net<Input<10, 12, 32>, DepthwiseConv<32, Kernel<3>, Pad<1>>, Relu, Conv<64, Kernel<1>>, Relu>;
    codegen::JitOptions options;
    options.machine = "host,cores=2,l2=16KiB";
    const codegen::Lowered net = codegen::lower(describe<Block>(), 1);
    // The JIT's target (HL_JIT_TARGET may name a narrower one than the host's), whose lanes the keys hold.
    const MachineModel m = MachineModel::for_target(codegen::runnable_here(Halide::get_jit_target_from_environment()), options.machine);
    const auto groups = conv_groups(net);
    REQUIRE(groups.size() == 2);
    const std::string dw_key = codegen::tuning_key(m, net, groups[0]), pw_key = codegen::tuning_key(m, net, groups[1]);
    // The depthwise group's key names the conv its plan was measured with.
    CHECK(dw_key.find(" | then | conv 10x12x32 -> 10x12x64 k1x1") != std::string::npos);
    CHECK(pw_key.find(" | then") == std::string::npos);
    const ConvGroupPlan dw = codegen::plan_conv_group(net, groups[0], m), pw = codegen::plan_conv_group(net, groups[1], m);
    REQUIRE(dw.inside_consumer == 1);
    CHECK(codegen::plan_variants(net, groups[0], m, dw, codegen::PlanAxis::inside_consumer).size() == 1);
    CHECK(codegen::plan_variants(net, groups[1], m, pw, codegen::PlanAxis::inside_consumer).empty());
    {
        const codegen::JitNet jit(describe<Block>(), options);
        CHECK(jit.lowered().schedule_plan.find("computed a row at a time inside the next group's tasks (cost model)") != std::string::npos);
        check_against_reference(jit, 2, "depthwise inside pointwise");
    }
    {
        // Tuned to store it.
        ConvGroupPlan stored = dw;
        stored.inside_consumer = 0;
        codegen::JitOptions tuned = options;
        tuned.tuning.entries[dw_key] = {stored};
        const codegen::JitNet jit(describe<Block>(), tuned);
        CHECK(jit.lowered().schedule_plan.find("computed a row at a time") == std::string::npos);
        check_against_reference(jit, 2, "depthwise stored before pointwise");
    }
    {
        // A tuned pointwise plan whose tasks split the channel blocks would compute each
        // depthwise row twice: the depthwise output is stored instead, and the plan says why.
        ConvGroupPlan split = pw;
        split.loop = ConvGroupPlan::Loop::register_tiles;
        split.tile_vectors = 64 / split.vector_lanes / 2;
        split.channel_blocks = 2;
        codegen::JitOptions tuned = options;
        tuned.tuning.entries[pw_key] = {split};
        const codegen::JitNet jit(describe<Block>(), tuned);
        INFO(jit.lowered().schedule_plan);
        CHECK(jit.lowered().schedule_plan.find("; stored instead: l3_conv's plan does not read whole rows per task") != std::string::npos);
        check_against_reference(jit, 3, "depthwise stored for a split pointwise plan");
    }
    // The tuner measures the choice on the pair: the other choice is its first candidate. Two
    // candidates a group (that one and the cost model's plan), and a budget that a sanitizer build's
    // slow compiles cannot exhaust before it (the search ends when the candidates do).
    codegen::TuneOptions tune;
    tune.machine = options.machine;
    tune.seconds = 60;
    tune.max_candidates = 2;
    std::vector<std::string> lines;
    tune.progress = [&](const std::string& line) { lines.push_back(line); };
    const Tuning tuning = codegen::tune_net(describe<Block>(), tune);
    REQUIRE(tuning.find(dw_key));
    const bool tried_stored = std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("[1/2]") != std::string::npos && l.find("rows x batch 1 = ") != std::string::npos && l.find(" ms (best ") != std::string::npos;
    });
    CHECK(tried_stored);
}
