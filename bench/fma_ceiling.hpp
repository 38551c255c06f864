// The machine's fp32 FMA ceiling, measured: every hardware thread runs independent chains of
// 512-bit (AVX-512) or 256-bit (AVX2) FMAs from registers, no memory traffic.
#pragma once

namespace bench {

// Runs `iterations` rounds on every hardware thread; returns the FLOPs executed.
double fma_ceiling_flops(long iterations);

}  // namespace bench
