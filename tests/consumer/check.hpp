// What both consumer programs check: the net's output on random input against kiln's plain-loop
// reference (tests/reference), with a fresh, printed seed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "my_nets.hpp"
#include "reference/compare.hpp"
#include "reference/reference_net.hpp"

template <class Run>
int check_against_reference(const char* what, Run run) {
    const char* fixed = std::getenv("KILN_SEED");
    const std::uint64_t seed = fixed ? std::stoull(fixed) : std::random_device{}();
    std::mt19937_64 rng(seed);
    const auto spec = kiln::describe<my_nets::EdgeNet>();
    kiln::Weights weights = kiln::Weights::for_net(spec);
    weights.fill_random(rng());
    kiln::Tensor input = kiln::Tensor::for_input<my_nets::EdgeNet>(3);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& v : input.values()) v = u(rng);
    const kiln::Tensor output = run(input, weights);
    const double error = ref::relative_error(output, ref::run_net(spec, weights, ref::from_kiln(input)));
    std::printf("%s: seed %llu, relative error against the reference %.2g\n", what, (unsigned long long)seed, error);
    return error <= 1e-5 ? 0 : 1;
}
