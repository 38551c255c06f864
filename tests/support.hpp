// Test helpers: the per-run random seed (printed, replayable with KILN_SEED=...), random tensors,
// conversions to the reference's tensors, and the comparisons the tests assert with.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "kiln/codegen/jit.hpp"
#include "kiln/runtime/tensor.hpp"
#include "kiln/runtime/weights.hpp"
#include "reference/compare.hpp"
#include "reference/reference.hpp"

namespace test {

// A fresh seed per process unless KILN_SEED is set; printed once so a failure can be replayed.
std::uint64_t seed();

// A fresh generator for one test case, derived from the run seed and the case's name.
std::mt19937_64 rng_for(const std::string& test_name);

void fill_uniform(kiln::Tensor& t, std::mt19937_64& rng, float lo = -1.0f, float hi = 1.0f);
void fill_integers(kiln::Tensor& t, std::mt19937_64& rng, int range);  // non-zero, in [-range, range]

ref::Tensor to_ref(const kiln::Tensor& t);
std::vector<double> to_double(const std::vector<float>& v);

// max |got - want| / max(max |want|, 1e-30); shapes must agree.
double relative_error(const kiln::Tensor& got, const ref::Tensor& want);
bool bit_exact(const kiln::Tensor& got, const ref::Tensor& want);
// Fraction of values that are exactly zero (guards against vacuous passes).
double zero_fraction(const kiln::Tensor& t);

// Asserts shape equality, relative error <= tol, and that the output is not mostly zero.
void check_close(const kiln::Tensor& got, const ref::Tensor& want, double tol = 1e-5, double max_zero = 0.9);

// The message of the kiln::Error that `f` throws, or "(no error)".
std::string error_of(const std::function<void()>& f);

// A one-layer (or few-layer) net built at run time from layer specs.
kiln::NetSpec net_of(std::vector<kiln::LayerSpec> layers);

}  // namespace test
