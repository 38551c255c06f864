// The CUDA AOT kernels (schedules cuda and auto-li2018, target host-cuda). They are generated,
// compiled and linked on every machine; they run only where an NVIDIA driver is present. Without
// one this test exits 77, which CTest reports as skipped (never passed), after checking that
// calling the kernel gives a clear kiln::Error.
#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "aot/nets.hpp"
#include "odd_cuda.hpp"
#include "odd_li2018_cuda.hpp"
#include "reference/compare.hpp"
#include "reference/reference_net.hpp"
#include "w1_cuda.hpp"

namespace {

template <class Kernel>
double error_vs_reference(const kiln::NetSpec& spec, std::size_t batch, std::mt19937_64& rng) {
    kiln::Weights w = kiln::Weights::for_net(spec);
    w.fill_random(rng());
    kiln::Tensor input(batch, Kernel::input_shape);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& v : input.values()) v = u(rng);
    return ref::relative_error(Kernel::run(input, w), ref::run_net(spec, w, ref::from_kiln(input)));
}

}  // namespace

int main() {
    const bool driver = dlopen("libcuda.so.1", RTLD_LAZY) != nullptr;
    if (!driver) {
        kiln::Weights w = kiln::Weights::for_net(kiln::describe<aot_nets::W1>());
        kiln::Tensor input(1, kiln_kernels::w1_cuda::input_shape);
        try {
            kiln_kernels::w1_cuda::run(input, w);
            std::printf("FAIL: the CUDA kernel returned without a CUDA driver\n");
            return 1;
        } catch (const kiln::Error& e) {
            std::printf("no CUDA driver here; the kernel refused cleanly: %s\nSKIPPED: the GPU numerics need an NVIDIA GPU\n",
                        e.what());
            return 77;
        }
    }
    const std::uint64_t seed = std::random_device{}();
    std::mt19937_64 rng(seed);
    const double e1 = error_vs_reference<kiln_kernels::w1_cuda>(kiln::describe<aot_nets::W1>(), 3, rng);
    const double e2 = error_vs_reference<kiln_kernels::odd_cuda>(kiln::describe<aot_nets::Odd>(), 2, rng);
    const double e3 = error_vs_reference<kiln_kernels::odd_li2018_cuda>(kiln::describe<aot_nets::Odd>(), 2, rng);
    std::printf("seed %llu: cuda W1 relative error %.3g, cuda odd net %.3g, auto-li2018 (GPU) odd net %.3g\n",
                (unsigned long long)seed, e1, e2, e3);
    return e1 <= 1e-5 && e2 <= 1e-5 && e3 <= 1e-5 ? 0 : 1;
}
