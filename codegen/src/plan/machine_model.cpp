// The machine model (see machine_model.hpp): named CPUs, the running one, and field overrides.
#include "kiln/codegen/machine_model.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

namespace {

constexpr long KiB = 1L << 10, MiB = 1L << 20;

struct NamedCpu {
    const char* name;
    long l1d, l2, l3;
    int fma_lanes;  // fp32 FMA lanes per core per cycle at the CPU's widest vectors
    bool avx512;
};

// Per-core L1d and L2, L3 of one CCD (AMD) or socket (Intel), from the vendors' documentation.
// Zen 4 runs AVX-512 on two 256-bit FMA units, so it has Zen 3's FMA width with twice the
// registers; Zen 5 and the Xeons have two 512-bit units.
const NamedCpu named_cpus[] = {
    {"generic", 32 * KiB, 1 * MiB, 8 * MiB, 16, true},
    {"zen3", 32 * KiB, 512 * KiB, 32 * MiB, 16, false},
    {"zen4", 32 * KiB, 1 * MiB, 32 * MiB, 16, true},
    {"zen5", 48 * KiB, 1 * MiB, 32 * MiB, 32, true},
    {"xeon-skx", 32 * KiB, 1 * MiB, 38 * MiB, 32, true},
    {"xeon-icx", 48 * KiB, 1280 * KiB, 60 * MiB, 32, true},
    {"xeon-spr", 48 * KiB, 2 * MiB, 105 * MiB, 32, true},
};

const NamedCpu* find_named(const std::string& name) {
    for (const auto& cpu : named_cpus)
        if (name == cpu.name) return &cpu;
    return nullptr;
}

std::string cpuinfo_field(const std::string& key) {
    std::ifstream info("/proc/cpuinfo");
    for (std::string line; std::getline(info, line);) {
        if (line.compare(0, key.size(), key) != 0) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        return value;
    }
    return "";
}

// The named CPU the running one is, where /proc/cpuinfo says (AMD family 25 is Zen 3 or Zen 4 by
// model, 26 is Zen 5); "generic" otherwise. Only its FMA width is used: caches are read directly.
const NamedCpu& host_family() {
    const std::string vendor = cpuinfo_field("vendor_id");
    const int family = std::atoi(cpuinfo_field("cpu family").c_str());
    const int model = std::atoi(cpuinfo_field("model\t").c_str());
    if (vendor == "AuthenticAMD" && family == 26) return *find_named("zen5");
    if (vendor == "AuthenticAMD" && family == 25) {
        const bool zen4 = (model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0x7f) || (model >= 0xa0 && model <= 0xaf);
        return *find_named(zen4 ? "zen4" : "zen3");
    }
    return *find_named("generic");
}

long host_cache(int sysconf_name, long fallback) {
    const long bytes = sysconf(sysconf_name);
    return bytes > 0 ? bytes : fallback;
}

long parse_bytes(const std::string& field, const std::string& value) {
    std::size_t end = 0;
    double number = 0;
    try {
        number = std::stod(value, &end);
    } catch (const std::exception&) {
        end = 0;
    }
    std::string unit = value.substr(end);
    for (char& ch : unit) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    long scale = 0;
    if (unit.empty() || unit == "b") scale = 1;
    else if (unit == "k" || unit == "kib" || unit == "kb") scale = KiB;
    else if (unit == "m" || unit == "mib" || unit == "mb") scale = MiB;
    else if (unit == "g" || unit == "gib" || unit == "gb") scale = 1L << 30;
    if (end == 0 || scale == 0 || !(number > 0) || number * double(scale) > double(1L << 40))
        throw Error("machine model: " + field + "=" + value + " is not a size between 1 byte and 1 TiB (e.g. 512KiB, 2MiB)");
    return long(number * double(scale));
}

int parse_count(const std::string& field, const std::string& value, int max) {
    std::size_t end = 0;
    long number = 0;
    try {
        number = std::stol(value, &end);
    } catch (const std::exception&) {
        end = 0;
    }
    if (end == 0 || end != value.size() || number < 1 || number > max)
        throw Error("machine model: " + field + "=" + value + " is not a whole number from 1 to " + std::to_string(max));
    return int(number);
}

std::string bytes_text(long bytes) {
    if (bytes % MiB == 0) return std::to_string(bytes / MiB) + " MiB";
    if (bytes % KiB == 0) return std::to_string(bytes / KiB) + " KiB";
    return std::to_string(bytes) + " B";
}

std::string valid_cpus() {
    std::string names = "host";
    for (const auto& cpu : named_cpus) names += std::string(", ") + cpu.name;
    return names;
}

}  // namespace

std::vector<std::string> MachineModel::cpu_names() {
    std::vector<std::string> names;
    for (const auto& cpu : named_cpus) names.emplace_back(cpu.name);
    return names;
}

MachineModel MachineModel::for_target(const Halide::Target& target, const std::string& machine) {
    std::vector<std::string> parts;
    std::stringstream in(machine);
    for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
    std::string cpu_name = parts.empty() || parts.front().find('=') != std::string::npos ? "host" : parts.front();
    if (!parts.empty() && parts.front().find('=') == std::string::npos) parts.erase(parts.begin());

    MachineModel m;
    const bool avx512 = target.has_feature(Halide::Target::AVX512);
    m.vector_lanes = target.natural_vector_size<float>();
    m.vector_registers = target.arch == Halide::Target::ARM || avx512 ? 32 : 16;
    m.cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const NamedCpu* named = nullptr;
    if (cpu_name == "host") {
        named = &host_family();
        const std::string model_name = cpuinfo_field("model name");
        m.cpu = "host (" + (model_name.empty() ? std::string("unknown CPU") : model_name) + ", " + named->name + ")";
        m.l1d_bytes = host_cache(_SC_LEVEL1_DCACHE_SIZE, named->l1d);
        m.l2_bytes = host_cache(_SC_LEVEL2_CACHE_SIZE, named->l2);
        m.l3_bytes = host_cache(_SC_LEVEL3_CACHE_SIZE, named->l3);
    } else {
        named = find_named(cpu_name);
        if (!named) throw Error("machine model: unknown CPU '" + cpu_name + "'; valid CPUs: " + valid_cpus());
        if (avx512 && !named->avx512)
            throw Error("machine model: " + cpu_name + " cannot run target " + target.to_string() + " (it has no AVX-512)");
        m.cpu = named->name;
        m.l1d_bytes = named->l1d, m.l2_bytes = named->l2, m.l3_bytes = named->l3;
    }
    // Two FMA units at most, each as wide as the target's vectors: AVX2 code on Zen 5 gets 16.
    m.fma_lanes_per_cycle = std::min(named->fma_lanes, 2 * m.vector_lanes);

    for (const auto& part : parts) {
        const auto eq = part.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Error("machine model: '" + part + "' in '" + machine + "' is not field=value (the CPU name comes first)");
        const std::string field = part.substr(0, eq), value = part.substr(eq + 1);
        if (field == "l1d") m.l1d_bytes = parse_bytes(field, value);
        else if (field == "l2") m.l2_bytes = parse_bytes(field, value);
        else if (field == "l3") m.l3_bytes = parse_bytes(field, value);
        else if (field == "cores") m.cores = parse_count(field, value, 4096), m.cores_from_host = false;
        else if (field == "fma") m.fma_lanes_per_cycle = parse_count(field, value, 1024);
        else throw Error("machine model: unknown field '" + field + "' in '" + machine + "'; fields: l1d, l2, l3, cores, fma");
    }
    return m;
}

std::string MachineModel::describe() const {
    std::ostringstream s;
    s << cpu << ": " << vector_lanes << " fp32 lanes, " << vector_registers << " vector registers, L1d " << bytes_text(l1d_bytes)
      << ", L2 " << bytes_text(l2_bytes) << ", L3 " << bytes_text(l3_bytes) << ", " << cores << " cores"
      << (cores_from_host ? " (host)" : "") << ", " << fma_lanes_per_cycle << " FMA lanes/cycle";
    return s.str();
}

}  // namespace kiln::codegen
