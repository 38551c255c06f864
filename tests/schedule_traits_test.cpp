// The schedule registry's traits (kiln/codegen/schedule.hpp): what every part of kiln asks instead of
// comparing schedule names.
#include <filesystem>
#include <set>

#include "kiln/codegen/schedule.hpp"
#include "support.hpp"

using namespace kiln;
using codegen::ScheduleTraits;
using codegen::schedule_traits;

TEST_CASE("schedule traits: `default` is fused on a CPU target and cuda on a GPU one; unknown names list the valid ones") {
    CHECK(schedule_traits("default").name == "fused");
    CHECK(schedule_traits("default", /*gpu_target=*/true).name == "cuda");
    CHECK(schedule_traits("fused", true).name == "fused");
    CHECK_THROWS_WITH_AS(schedule_traits("fastest"), doctest::Contains("unknown schedule 'fastest'; valid schedules: default, fused"),
                         Error);
}

TEST_CASE("schedule traits: each schedule's kind, and the sets the tools offer") {
    const auto names = [](bool (*which)(const ScheduleTraits&)) {
        const auto v = codegen::schedule_names(which);
        return std::set<std::string>(v.begin(), v.end());
    };
    using S = std::set<std::string>;
    CHECK(names([](const ScheduleTraits& t) { return t.takes_plans; }) == S{"fused", "unfused"});
    CHECK(names([](const ScheduleTraits& t) { return t.autoscheduled; }) == S{"auto-mullapudi2016", "auto-adams2019", "auto-li2018"});
    CHECK(names([](const ScheduleTraits& t) { return t.fuses; }) == S{"fused", "cuda"});
    CHECK(names([](const ScheduleTraits& t) { return t.needs_gpu; }) == S{"cuda"});
    CHECK(names([](const ScheduleTraits& t) { return t.per_segment; }) == S{"fused", "unfused"});
    CHECK(names([](const ScheduleTraits& t) { return t.kiln_backward; }) == S{"fused", "unfused"});
    CHECK(codegen::comma_separated({"a", "b", "c"}) == "a, b, c");
}

TEST_CASE("schedule traits: the source file each names exists (kiln-inspect points users to it)") {
    const std::filesystem::path root = std::filesystem::path(KILN_TEST_DATA) / ".." / "..";
    for (const auto& name : codegen::schedule_names()) {
        CAPTURE(name);
        for (bool gpu : {false, true}) CHECK(std::filesystem::is_regular_file(root / std::string(schedule_traits(name, gpu).source)));
    }
}
