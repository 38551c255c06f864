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

// Under AddressSanitizer a JIT compile takes about ten times as long (LLVM allocates through ASan's
// allocator), so the sweeps that compile dozens of pipelines run a random third of their cases
// there, drawn from the printed seed: each sanitized run covers other cases, the Release suite all.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
#else
inline constexpr bool sanitized = false;
#endif

// Whether to run one case of such a sweep: always, except under a sanitizer (then one in three).
bool sampled(std::mt19937_64& rng);
// A sweep's count of random cases: `n`, or a third of it (at least 2) under a sanitizer.
int case_count(int n);

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
