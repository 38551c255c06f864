// The AOT generator as a library call (codegen::generate_kernel): the files a kernel with several
// targets is made of, the target lists it refuses, and its progress lines for a long generation.
// The generated kernels themselves run in aot_test and aot_dispatch_test.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
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
    CHECK(driver.find("w1_two_x86_64_linux_s0_argv") != std::string::npos);
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
