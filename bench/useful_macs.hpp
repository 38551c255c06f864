// MACs whose input tap lies inside the image: what a conv must compute, and what oneDNN counts.
// kiln's nominal count (NetSpec::macs) includes the taps that fall in zero padding.
#pragma once

#include "kiln/dsl/layer_spec.hpp"

namespace bench {

inline double useful_macs(const std::vector<kiln::LayerSpec>& layers) {
    double total = 0;
    for (const auto& l : layers) {
        if (!l.children.empty()) {  // a composite's MACs are its branches'
            for (const auto& branch : l.children) total += useful_macs(branch);
            continue;
        }
        const auto* c = std::get_if<kiln::ConvAttrs>(&l.attrs);
        if (!c) {
            total += double(l.macs);  // dense: every MAC is useful
            continue;
        }
        const kiln::Pads rows = c->rows(l.in), cols = c->cols(l.in);
        auto taps_inside = [](long out, long in, long begin, long k, long s, long d) {
            double taps = 0;
            for (long o = 0; o < out; ++o)
                for (long t = 0; t < k; ++t) {
                    const long i = o * s - begin + t * d;
                    taps += i >= 0 && i < in;
                }
            return taps;
        };
        const double ty = taps_inside(long(l.out.h), long(l.in.h), long(rows.begin), long(c->kernel.h), long(c->stride.h), long(c->dilation.h));
        const double tx = taps_inside(long(l.out.w), long(l.in.w), long(cols.begin), long(c->kernel.w), long(c->stride.w), long(c->dilation.w));
        total += ty * tx * double(c->group_input_channels(l.in)) * double(l.out.c);
    }
    return total;
}

}  // namespace bench
