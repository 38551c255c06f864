// See machine_ceilings.hpp.
#include "machine_ceilings.hpp"

#include <immintrin.h>

#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace bench {

namespace {

// Keeps the triad's result observable, so the compiler cannot drop the loop.
void benchmark_keep(float v) {
    volatile float sink = v;
    (void)sink;
}

// 12 independent accumulators: enough to cover FMA latency (4 cycles) × 2 pipes with margin.
__attribute__((target("avx512f"), noinline)) float chains_avx512(long iterations) {
    __m512 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __m512 sum = acc[0];
    for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, acc[i]);
    return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"), noinline)) float chains_avx2(long iterations) {
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i) * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    // Every chain feeds the result: returning acc[0] alone let GCC delete the other 11, and the
    // loop left (one latency-bound FMA per iteration) was counted as 12: on AVX2 Zen 3, 272 GFLOP/s reported, 167-178 real.
    __m256 sum = acc[0];
    for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, sum);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

}  // namespace

double fma_ceiling_flops(long iterations) {
    const bool avx512 = __builtin_cpu_supports("avx512f");
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    std::vector<float> sink(threads);
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { sink[t] = avx512 ? chains_avx512(iterations) : chains_avx2(iterations); });
    for (auto& th : pool) th.join();
    volatile float keep = sink[0];
    (void)keep;
    return double(threads) * double(iterations) * 12 * (avx512 ? 16 : 8) * 2;
}

double memory_triad_bytes() {
    constexpr std::size_t n = std::size_t(64) << 20;
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    // Allocated once and first touched by the threads that stream them (pages land near them).
    static std::unique_ptr<float[]> a(new float[n]), b(new float[n]), c(new float[n]);
    static const bool touched = [&] {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                for (std::size_t i = n * t / threads; i < n * (t + 1) / threads; ++i) a[i] = 0, b[i] = 1, c[i] = 2;
            });
        for (auto& th : pool) th.join();
        return true;
    }();
    (void)touched;
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            float* __restrict out = a.get();
            const float* __restrict x = b.get();
            const float* __restrict y = c.get();
            for (std::size_t i = n * t / threads; i < n * (t + 1) / threads; ++i) out[i] = x[i] + 0.5f * y[i];
        });
    for (auto& th : pool) th.join();
    benchmark_keep(a[n / 2]);
    return 3.0 * 4.0 * double(n);
}

void fma_ceiling(benchmark::State& state) {
    double flops = 0;
    for (auto _ : state) flops += fma_ceiling_flops(1 << 22);
    state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

std::string cpu_model() {
    std::ifstream info("/proc/cpuinfo");
    for (std::string line; std::getline(info, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

}  // namespace bench
