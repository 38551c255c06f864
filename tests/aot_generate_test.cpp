// The AOT generator as a library call (codegen::generate_kernel): the files a kernel with several
// targets is made of, the target lists it refuses, and its progress lines for a long generation.
// The generated kernels themselves run in aot_test and aot_dispatch_test.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include "kiln/codegen/aot.hpp"
#include "nets/cifar10.hpp"
#include "nets/workloads.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("kiln-aot-generate-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Options for a fused kernel `name` planned for the generic machine, written to `dir`.
codegen::AotOptions options_for(const std::string& name, const std::filesystem::path& dir, const std::string& targets) {
    codegen::AotOptions o;
    o.name = name;
    o.output_dir = dir.string();
    o.schedule = "fused";
    o.target = targets;
    o.machine = "generic";
    return o;
}

}  // namespace

TEST_CASE("AOT generation: several targets give one object each, a driver that dispatches, and headers naming them, bad lists are refused") {
    const auto dir = fresh_dir("targets");
    codegen::AotOptions o = options_for("w1_two", dir, "x86-64-linux-avx-avx2-f16c-fma-sse41,x86-64-linux");
    o.progress = {};
    const std::string plans = codegen::generate_kernel(describe<nets::W1>(), o);
    for (const char* file : {"w1_two.cpp", "w1_two-x86_64_linux_avx_avx2_f16c_fma_sse41.o", "w1_two-x86_64_linux.o", "w1_two.h", "w1_two.hpp"})
        CHECK_MESSAGE(std::filesystem::exists(dir / file), file);
    CHECK_FALSE(std::filesystem::exists(dir / "w1_two.o"));
    // The driver asks the runtime about the AVX2 variant only: the baseline needs no check.
    const std::string driver = read(dir / "w1_two.cpp");
    CHECK(driver.find("// x86-64-linux-avx-avx2-f16c-fma-sse41\n") != std::string::npos);
    CHECK(driver.find("// x86-64-linux\n") == std::string::npos);
    // Functions are named by the hash of what decides their code, not by their position.
    CHECK(std::regex_search(driver, std::regex("int w1_two_[0-9a-f]{16}_argv\\(void\\*\\*\\);")));
    // Planned per target: 8-lane AVX2 and 4-lane SSE2 registers differ.
    CHECK(plans.find("target x86-64-linux-avx-avx2-f16c-fma-sse41:\n") != std::string::npos);
    CHECK(plans.find("target x86-64-linux:\n") != std::string::npos);
    const std::string hpp = read(dir / "w1_two.hpp");
    CHECK(hpp.find("target = \"x86-64-linux-avx-avx2-f16c-fma-sse41,x86-64-linux\"") != std::string::npos);
    CHECK(read(dir / "w1_two.h").find("int w1_two(") != std::string::npos);

    o.target = "x86-64-linux-avx2,host-cuda";
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(describe<nets::W1>(), o), doctest::Contains("for CPUs only"), Error);
    o.target = "x86-64-linux-avx2,arm-64-linux";
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(describe<nets::W1>(), o), doctest::Contains("must share arch, bits and OS"), Error);
    o.target = "x86-64-linux,x86-64-linux";
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(describe<nets::W1>(), o), doctest::Contains("given twice"), Error);
    o.target = "x86-64-linux,";
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(describe<nets::W1>(), o), doctest::Contains("empty Halide target"), Error);
    o.target = "x86-64-linux-avx9";
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(describe<nets::W1>(), o), doctest::Contains("not a Halide target string"), Error);
    std::filesystem::remove_all(dir);
}

// With a linker and a cache: every pipeline an object of its own, joined per target; generated
// again, nothing is compiled; planned for another batch, new objects beside the old.
TEST_CASE("AOT generation with a linker and a cache reuses compiled pipelines, keyed by what decides their code") {
    const auto dir = fresh_dir("cache");
    const auto cache = dir / "cache";
    codegen::AotOptions o = options_for("model4_cached", dir, "x86-64-linux-avx-avx2-f16c-fma-sse41,x86-64-linux");
    o.progress = {};
    o.linker = "ld";
    o.cache_dir = cache.string();
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(describe<nets::Cifar10Model4>(), o), doctest::Contains("needs a linker and a cache identity"), Error);
    // The code generator's identity: any file's bytes; a changed one must miss every entry.
    const auto identity = dir / "codegen-identity";
    std::ofstream(identity) << "kiln code generator, version 1";
    o.cache_identity = identity.string();
    const auto spec = describe<nets::Cifar10Model4>();
    const auto cached_objects = [&] {
        std::map<std::string, std::filesystem::file_time_type> files;
        for (const auto& e : std::filesystem::directory_iterator(cache)) files[e.path().filename().string()] = e.last_write_time();
        return files;
    };
    codegen::generate_kernel(spec, o);
    const auto first = cached_objects();
    CHECK(first.size() == 6);  // 3 segments x 2 targets
    for (const char* file : {"model4_cached-x86_64_linux_avx_avx2_f16c_fma_sse41.o", "model4_cached-x86_64_linux.o", "model4_cached.cpp"})
        CHECK_MESSAGE(std::filesystem::exists(dir / file), file);
    const std::string driver = read(dir / "model4_cached.cpp");
    std::filesystem::remove(dir / "model4_cached-x86_64_linux.o");
    codegen::generate_kernel(spec, o);
    CHECK(cached_objects() == first);  // nothing compiled again
    CHECK(std::filesystem::exists(dir / "model4_cached-x86_64_linux.o"));
    CHECK(read(dir / "model4_cached.cpp") == driver);
    o.batch_estimate = 8;
    codegen::generate_kernel(spec, o);
    CHECK(cached_objects().size() == 12);
    std::ofstream(identity) << "kiln code generator, version 2";
    codegen::generate_kernel(spec, o);
    CHECK(cached_objects().size() == 18);
    o.linker = "/nonexistent/ld";
    CHECK_THROWS_WITH_AS(codegen::generate_kernel(spec, o), doctest::Contains("cannot run the linker '/nonexistent/ld'"), Error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("AOT progress: a generation over 2 s says which target it lowers and, when done, lowering and code generation time") {
    const auto dir = fresh_dir("progress");
    std::vector<std::string> lines;
    std::mutex mutex;
    codegen::AotOptions o = options_for(
        "cifar10_three", dir, "x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41,x86-64-linux-avx-avx2-f16c-fma-sse41,x86-64-linux");
    o.progress = [&](const std::string& line) {
        std::lock_guard<std::mutex> lock(mutex);
        lines.push_back(line);
    };
    const auto start = std::chrono::steady_clock::now();
    codegen::generate_kernel(describe<nets::Cifar10Model4>(), o);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CAPTURE(seconds);
    if (seconds < 1.9) CHECK(lines.empty());
    if (seconds > 2.5) {
        REQUIRE(lines.size() >= 2);
        CAPTURE(lines.front());
        CAPTURE(lines.back());
        CHECK(lines.front().rfind("kiln generator: cifar10_three (schedule fused): ", 0) == 0);
        const bool says_step = lines.front().find("lowering and scheduling ") != std::string::npos ||
                               lines.front().find("Halide generating code for 3 targets") != std::string::npos;
        CHECK(says_step);
        double total = 0, lowering = 0, generating = 0;
        CHECK(std::sscanf(lines.back().c_str(),
                          "kiln generator: cifar10_three (schedule fused) generated for 3 targets in %lf s (lowering and scheduling %lf s, "
                          "Halide's code generation %lf s)",
                          &total, &lowering, &generating) == 3);
        CHECK(lowering > 0);
        CHECK(generating > 0);
        CHECK(total == doctest::Approx(lowering + generating).epsilon(0.05));
    }
    std::filesystem::remove_all(dir);
}
