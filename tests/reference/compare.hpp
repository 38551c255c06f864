// Comparing a kiln tensor with a reference tensor. Header-only and free of libHalide and doctest,
// so the AOT tests (which must not link libHalide) share it with the JIT tests' support.cpp.
#pragma once

#include <cmath>

#include "kiln/runtime/tensor.hpp"
#include "reference.hpp"

namespace ref {

inline Tensor from_kiln(const kiln::Tensor& t) {
    Tensor r(long(t.batch()), long(t.shape().h), long(t.shape().w), long(t.shape().c));
    for (std::size_t i = 0; i < t.size(); ++i) r.v[i] = t.values()[i];
    return r;
}

inline bool same_shape(const kiln::Tensor& got, const Tensor& want) {
    return long(got.batch()) == want.n && long(got.shape().h) == want.h && long(got.shape().w) == want.w &&
           long(got.shape().c) == want.c;
}

// max |got - want| / max |want|; infinite for a NaN or a shape mismatch.
inline double relative_error(const kiln::Tensor& got, const Tensor& want) {
    if (!same_shape(got, want)) return INFINITY;
    double scale = 1e-30, err = 0;
    for (std::size_t i = 0; i < want.v.size(); ++i) {
        scale = std::max(scale, std::abs(want.v[i]));
        const double d = std::abs(double(got.values()[i]) - want.v[i]);
        err = std::max(err, std::isnan(d) ? INFINITY : d);
    }
    return err / scale;
}

}  // namespace ref
