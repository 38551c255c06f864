// Target resolution (see target.hpp).
#include "kiln/codegen/target.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

namespace {

// What Halide 14's avx512_sapphirerapids lets LLVM use beyond avx512_cannonlake that Zen 4 and
// Zen 5 do not all have: AVX-VNNI (CPUID 7.1 EAX bit 4), AVX512-FP16 (7.0 EDX bit 23) and
// AMX-BF16 (7.0 EDX bit 22).
bool cpu_is_sapphire_rapids_class() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool fp16 = edx & (1u << 23), amx_bf16 = edx & (1u << 22);
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
    const bool avx_vnni = eax & (1u << 4);
    return fp16 && amx_bf16 && avx_vnni;
#else
    return false;
#endif
}

}  // namespace

Halide::Target runnable_here(Halide::Target target) {
    const Halide::Target host = Halide::get_host_target();
    if (target.arch != host.arch || target.os != host.os) return target;
    if (target.has_feature(Halide::Target::AVX512_SapphireRapids) && !cpu_is_sapphire_rapids_class())
        target = target.without_feature(Halide::Target::AVX512_SapphireRapids);
    return target;
}

Halide::Target resolve_target(const std::string& target_string) {
    if (!Halide::Target::validate_target_string(target_string))
        throw Error("'" + target_string + "' is not a Halide target string (e.g. host, host-cuda, x86-64-linux-avx2-fma)");
    const Halide::Target target(target_string);
    const bool names_host = target_string == "host" || target_string.rfind("host-", 0) == 0;
    return names_host ? runnable_here(target) : target;
}

}  // namespace kiln::codegen
