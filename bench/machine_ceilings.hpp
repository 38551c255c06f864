// The machine's two roofs, measured: the fp32 FMA ceiling (every hardware thread runs independent
// chains of 512-bit (AVX-512) or 256-bit (AVX2) FMAs from registers, no memory traffic) and the
// memory bandwidth (every hardware thread runs a STREAM-style triad over arrays far larger than
// the caches). The report's roofline places each schedule's blocks under them.
#pragma once

#include <benchmark/benchmark.h>

#include <string>

namespace bench {

// Runs `iterations` rounds on every hardware thread; returns the FLOPs executed.
double fma_ceiling_flops(long iterations);

// One triad a = b + s * c over three arrays of 64 Mi floats (768 MiB in all), split over every
// hardware thread; returns the bytes it reads and writes (STREAM's count: 3 x 4 bytes per element).
double memory_triad_bytes();

// The benchmark row "ceiling/fma": fma_ceiling_flops in a loop, its rate as the GFLOP/s counter.
void fma_ceiling(benchmark::State& state);

// The CPU's model name from /proc/cpuinfo, for the run's context ("unknown" if it says none).
std::string cpu_model();

}  // namespace bench
