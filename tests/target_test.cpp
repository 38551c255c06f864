// Target resolution (kiln/codegen/target.hpp): code kiln compiles to run on this CPU never asks
// for instructions the CPU lacks, whatever Halide 14 detects; targets for other machines are
// left as they were asked for.
#include <fstream>
#include <set>
#include <sstream>

#include "kiln/codegen/target.hpp"
#include "nets/workloads.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

// The CPU's feature flags as Linux reports them: an account independent of Halide's CPUID code.
std::set<std::string> cpu_flags() {
    std::ifstream info("/proc/cpuinfo");
    for (std::string line; std::getline(info, line);) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::set<std::string> flags;
        for (std::string w; words >> w;) flags.insert(w);
        return flags;
    }
    return {};
}

bool cpu_runs_sapphire_rapids_code() {
    const auto flags = cpu_flags();
    return flags.count("avx_vnni") && flags.count("avx512_fp16") && flags.count("amx_bf16");
}

}  // namespace

TEST_CASE("targets: the JIT and host AOT targets ask only for instructions this CPU has") {
    const bool sapphire = cpu_runs_sapphire_rapids_code();
    MESSAGE("Halide's host target: " << Halide::get_host_target().to_string() << "; kiln's: "
                                     << codegen::resolve_target("host").to_string());
    if (!sapphire) {
        CHECK_FALSE(codegen::resolve_target("host").has_feature(Halide::Target::AVX512_SapphireRapids));
        CHECK_FALSE(codegen::resolve_target("host-asan").has_feature(Halide::Target::AVX512_SapphireRapids));
        const auto net = codegen::JitNet::compile<nets::W1>();
        CHECK_FALSE(net.target().has_feature(Halide::Target::AVX512_SapphireRapids));
        codegen::JitOptions explicit_target;
        explicit_target.target = Halide::get_host_target().to_string();
        CHECK_FALSE(codegen::JitNet::compile<nets::W1>(explicit_target).target().has_feature(Halide::Target::AVX512_SapphireRapids));
    }
    // What else the host has is kept.
    const Halide::Target host = Halide::get_host_target();
    for (auto feature : {Halide::Target::AVX2, Halide::Target::FMA, Halide::Target::AVX512_Skylake, Halide::Target::AVX512_Cannonlake})
        CHECK(codegen::resolve_target("host").has_feature(feature) == host.has_feature(feature));
    // A target for another machine is generated as asked (it never runs here).
    const std::string other = "x86-64-linux-avx2-avx512-avx512_cannonlake-avx512_sapphirerapids-avx512_skylake-f16c-fma-sse41";
    if (host.os == Halide::Target::Linux && host.arch == Halide::Target::X86 && !sapphire)
        CHECK(codegen::resolve_target(other).has_feature(Halide::Target::AVX512_SapphireRapids));
    CHECK_THROWS_WITH_AS(codegen::resolve_target("x86-65-nonsense"),
                         doctest::Contains("is not a Halide target string"), kiln::Error);
}
