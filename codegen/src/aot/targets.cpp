// The targets an AOT kernel is generated for (see aot_parts.hpp).
#include <algorithm>
#include <sstream>

#include "aot/aot_parts.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

std::string c_identifier(const std::string& s) {
    std::string out;
    for (char ch : s) out += std::isalnum((unsigned char)ch) ? ch : '_';
    if (!out.empty() && std::isdigit((unsigned char)out[0])) out = "_" + out;
    return out;
}

bool host_can_run(const Target& target) {
    const Target host = runnable_here(get_host_target());
    if (target.arch != host.arch || target.os != host.os || target.bits != host.bits) return false;
    for (auto f : {Target::SSE41, Target::AVX, Target::AVX2, Target::FMA, Target::F16C, Target::AVX512, Target::AVX512_KNL,
                   Target::AVX512_Skylake, Target::AVX512_Cannonlake, Target::AVX512_SapphireRapids})
        if (target.has_feature(f) && !host.has_feature(f)) return false;
    return true;
}

std::vector<KernelTarget> kernel_targets(const std::string& list) {
    std::vector<KernelTarget> targets;
    std::stringstream in(list);
    for (std::string t; std::getline(in, t, ',');) {
        if (t.empty()) throw Error("empty Halide target in '" + list + "'");
        targets.push_back({t, resolve_target(t).with_feature(Target::NoRuntime)});
    }
    if (targets.empty()) throw Error("no Halide target given");
    if (std::size_t(std::count(list.begin(), list.end(), ',')) + 1 != targets.size()) throw Error("empty Halide target in '" + list + "'");
    if (targets.size() == 1) return targets;
    const Target& base = targets.back().target;
    for (const auto& t : targets) {
        if (t.target.arch != base.arch || t.target.bits != base.bits || t.target.os != base.os)
            throw Error("the targets of one kernel must share arch, bits and OS: '" + t.text + "' and '" + targets.back().text + "' do not");
        if (t.target.has_gpu_feature())
            throw Error("a kernel with several targets is for CPUs only; '" + t.text + "' names a GPU (build a separate kernel for it)");
    }
    for (std::size_t i = 0; i < targets.size(); ++i)
        for (std::size_t j = i + 1; j < targets.size(); ++j)
            if (c_identifier(targets[i].text) == c_identifier(targets[j].text))
                throw Error("targets '" + targets[i].text + "' and '" + targets[j].text + "' are given twice");
    return targets;
}

}  // namespace kiln::codegen::detail
