// A kernel built for several targets (kiln_add_net's default: AVX-512, AVX2+FMA, plain x86-64)
// dispatches on the running CPU. KILN_FORCE_VARIANT=avx512|avx2|baseline makes the CPU look as if
// it had no more than that (through the Halide runtime's hook for the check the dispatcher makes),
// so every variant is run and checked against the reference here, whatever the CPU. Without it,
// the dispatcher must take the best variant this CPU runs. Exit 77 (skipped): the CPU cannot run
// the forced variant.
#include <HalideRuntime.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "aot/nets.hpp"
#include "reference/compare.hpp"
#include "reference/reference_net.hpp"
#include "w1_dispatch.hpp"

namespace {

std::string forced;   // the variant the CPU is made to look like; empty: as it is
bool accepted_avx512 = false, accepted_avx2 = false;
std::string checked;  // the variants the dispatcher asked about, in the order it asked

bool has(const uint64_t* features, int feature) { return features[feature >> 6] & (uint64_t(1) << (feature & 63)); }

int can_use(int count, const uint64_t* features) {
    const std::string variant = has(features, halide_target_feature_avx512) ? "avx512"
                                : has(features, halide_target_feature_avx2) ? "avx2" : "other";
    int ok = halide_default_can_use_target_features(count, features);
    if (forced == "baseline" || (forced == "avx2" && variant == "avx512")) ok = 0;
    checked += variant + (ok ? "(yes) " : "(no) ");
    if (variant == "avx512") accepted_avx512 = ok;
    if (variant == "avx2") accepted_avx2 = ok;
    return ok;
}

std::string best_variant_here() {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    return avx512 ? "avx512" : avx2 ? "avx2" : "baseline";
}

}  // namespace

int main() {
    using K = kiln_kernels::w1_dispatch;
    if (const char* f = std::getenv("KILN_FORCE_VARIANT")) forced = f;
    const std::string best = best_variant_here();
    const std::string rank = "baseline avx2 avx512";
    if (!forced.empty() && rank.find(forced) == std::string::npos) {
        std::fprintf(stderr, "KILN_FORCE_VARIANT=%s: not avx512, avx2 or baseline\n", forced.c_str());
        return 2;
    }
    if (!forced.empty() && rank.find(forced) > rank.find(best)) {
        std::printf("this CPU cannot run the %s variant (its best is %s): skipped\n", forced.c_str(), best.c_str());
        return 77;
    }
    halide_set_custom_can_use_target_features(can_use);

    const char* fixed = std::getenv("KILN_SEED");
    const std::uint64_t seed = fixed ? std::stoull(fixed) : std::random_device{}();
    std::printf("aot dispatch test: seed %llu (replay with KILN_SEED=%llu)\n", (unsigned long long)seed, (unsigned long long)seed);
    std::mt19937_64 rng(seed);
    const auto spec = kiln::describe<aot_nets::W1>();
    kiln::Weights w = kiln::Weights::for_net(spec);
    w.fill_random(rng());
    kiln::Tensor input(3, K::input_shape);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& v : input.values()) v = u(rng);
    const kiln::Tensor out = K::run(input, w);
    // The dispatcher asks about every variant (in no promised order) and runs the first in its list
    // that was accepted; the baseline, last, needs no check.
    const std::string ran = accepted_avx512 ? "avx512" : accepted_avx2 ? "avx2" : "baseline";
    const double error = ref::relative_error(out, ref::run_net(spec, w, ref::from_kiln(input)));
    const std::string expected = forced.empty() ? best : forced;
    std::printf("targets %s\ndispatcher checked: %s-> ran the %s variant (expected %s), relative error %.2g\n", K::target,
                checked.c_str(), ran.c_str(), expected.c_str(), error);
    if (ran != expected || !(error <= 1e-5)) {
        std::printf("FAILED\n");
        return 1;
    }
    return 0;
}
