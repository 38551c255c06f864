// The lecture's CIFAR-10 models: declared, summarized, and run through Halide (JIT, default
// schedule) on random weights and a random batch, printing the class probabilities of image 0.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <kiln/codegen/jit.hpp>
#include <random>

#include "nets/cifar10.hpp"

template <class Net>
void run(const char* title) {
    std::printf("\n=== %s ===\n", title);
    const kiln::NetSpec spec = kiln::describe<Net>();
    kiln::print_summary(std::cout, spec);

    auto net = kiln::codegen::JitNet(spec);
    kiln::Weights weights = kiln::Weights::for_net(spec);
    weights.fill_random(1);
    kiln::Tensor batch = kiln::Tensor::for_input<Net>(4);
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    for (auto& v : batch.values()) v = pixel(rng);

    const auto start = std::chrono::steady_clock::now();
    const kiln::Tensor probs = net.run(batch, weights);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("batch of 4 in %.1f ms (default schedule, first call); image 0 class probabilities:\n ", ms);
    double total = 0;
    for (int c = 0; c < 10; ++c) std::printf(" %.3f", probs(0, 0, 0, c)), total += probs(0, 0, 0, c);
    std::printf("  (sum %.4f)\n", total);
}

int main() {
    run<nets::TensorFlowCifar10>("TensorFlow CIFAR-10 tutorial model (24x24 crops)");
    run<nets::Cifar10Model1>("model 1: 5x5 64");
    run<nets::Cifar10Model2>("model 2: 5x5 256");
    run<nets::Cifar10Model3>("model 3: 7x7 128, 5x5 64, 3x3 64");
    run<nets::Cifar10Model4>("model 4: 5x5 256, 5x5 128, 3x3 64");
    return 0;
}
