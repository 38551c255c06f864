// What kiln's CPU schedules know of the machine a kernel will run on, in one place: the vector
// width and register count of the Halide target's ISA, and the caches, cores and FMA throughput of
// the CPU. Schedules read nothing else of the machine, so a kernel generated for another CPU (AOT)
// is scheduled for that CPU, not for the build host.
//
//   MachineModel::for_target(target)                      the running CPU
//   MachineModel::for_target(target, "zen3")              a named CPU (cpu_names())
//   MachineModel::for_target(target, "zen4,cores=16")     with fields overridden
//   MachineModel::for_target(target, "host,l2=512KiB")
//
// Overridable fields: l1d, l2, l3 (bytes; suffixes K, KiB, M, MiB), cores, fma (fp32 FMA lanes per
// core per cycle). A named CPU gives cache sizes and FMA width; its core count is the running
// machine's unless `cores=` says otherwise (the same CPU comes with 2 or 96 cores).
#pragma once

#include <Halide.h>

#include <string>
#include <vector>

namespace kiln::codegen {

struct MachineModel {
    std::string cpu;                  // "host (AMD EPYC, zen4)", "zen3", ...
    int vector_lanes = 8;             // fp32 lanes per vector of the target's ISA
    int vector_registers = 16;        // vector registers of the target's ISA
    long l1d_bytes = 32L << 10;       // per core
    long l2_bytes = 1L << 20;         // per core
    long l3_bytes = 8L << 20;         // shared
    int cores = 1;                    // the parallel tasks a kernel should fill
    bool cores_from_host = true;      // cores was read from the running machine
    int fma_lanes_per_cycle = 16;     // fp32 FMA lanes per core per cycle (2 AVX2 FMA units: 16)

    // One line: "zen4: AVX-512 (16 fp32 lanes, 32 registers), L1d 32 KiB, L2 1 MiB, L3 32 MiB
    // per CCD, 2 cores (host), 32 FMA lanes/cycle".
    std::string describe() const;

    // The model for code generated for `target` on the CPU `machine` describes (grammar above).
    // Throws kiln::Error for an unknown CPU or field, a malformed value, or a named CPU that cannot
    // run the target's ISA (zen3 with an AVX-512 target).
    static MachineModel for_target(const Halide::Target& target, const std::string& machine = "host");

    // The named CPUs for_target accepts besides "host".
    static std::vector<std::string> cpu_names();
};

}  // namespace kiln::codegen
