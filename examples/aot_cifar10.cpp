// Two CIFAR-10 nets compiled ahead of time (fused schedule) and called from a program that links
// only the generated kernels and kiln::runtime: no libHalide, no code generator, no JIT.
//   examples/CMakeLists.txt: kiln_add_net(cifar10_fused HEADER nets/cifar10.hpp
//                                         NET nets::TensorFlowCifar10 SCHEDULE fused)
#include <chrono>
#include <cstdio>
#include <random>

#include "cifar10_fused.hpp"         // generated: kiln_kernels::cifar10_fused
#include "cifar10_model4_fused.hpp"  // generated: kiln_kernels::cifar10_model4_fused
#include "nets/cifar10.hpp"          // the declarations: header-only, for the weight list

template <class Kernel, class Net>
void run(const char* title) {
    kiln::Weights weights = kiln::Weights::for_net(kiln::describe<Net>());
    weights.fill_random(1);
    kiln::Tensor batch(8, Kernel::input_shape);
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    for (auto& v : batch.values()) v = pixel(rng);
    kiln::Tensor probs(8, Kernel::output_shape);
    Kernel::run(batch, weights, probs);  // first call: touches every buffer
    const auto start = std::chrono::steady_clock::now();
    Kernel::run(batch, weights, probs);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-44s batch 8 in %.3f ms (schedule %s); image 0:", title, ms, Kernel::schedule);
    for (int c = 0; c < 10; ++c) std::printf(" %.3f", probs(0, 0, 0, c));
    std::printf("\n");
}

int main() {
    try {
        run<kiln_kernels::cifar10_fused, nets::TensorFlowCifar10>("TensorFlow CIFAR-10 model (AOT)");
        run<kiln_kernels::cifar10_model4_fused, nets::Cifar10Model4>("lecture's CIFAR-10 model 4 (AOT)");
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
