// The tests' own statement of the padding each kind means (TensorFlow's 'same', p = d(k-1) for
// full), independent of kiln's resolve_padding.
#pragma once

#include <algorithm>

#include "kiln/dsl/shape.hpp"

namespace ref {

inline void expected_pads(kiln::PaddingKind kind, long m, long k, long s, long d, long explicit_begin,
                          long explicit_end, long& begin, long& end) {
    const long span = d * (k - 1) + 1;
    switch (kind) {
    case kiln::PaddingKind::valid: begin = end = 0; break;
    case kiln::PaddingKind::full: begin = end = span - 1; break;
    case kiln::PaddingKind::same: {
        const long out = (m + s - 1) / s;
        const long total = std::max(0L, (out - 1) * s + span - m);
        begin = total / 2;
        end = total - begin;
        break;
    }
    case kiln::PaddingKind::same_lower: {  // ONNX's SAME_LOWER: the odd one out at the start
        const long out = (m + s - 1) / s;
        const long total = std::max(0L, (out - 1) * s + span - m);
        end = total / 2;
        begin = total - end;
        break;
    }
    case kiln::PaddingKind::explicit_pads: begin = explicit_begin, end = explicit_end; break;
    }
}

}  // namespace ref
