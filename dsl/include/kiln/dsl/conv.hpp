// Convolution: Conv<Filters, Options...>.
//
//   Conv<64, Kernel<5>, Same>                      5x5, 64 filters, stride 1, TensorFlow 'same' padding
//   Conv<32, Kernel<3, 5>, Stride<2>, Pad<1, 2>>   rectangular kernel, explicit symmetric padding
//   Conv<1, Kernel<3>, Full, NoBias>               the lecture's Sobel example (p = k - 1)
//   Conv<8, Kernel<3>, Dilation<2>, TrueConvolution>
//
// out(n, y, x, o) = bias[o] + sum_{i, ky, kx} in_padded(n, y*s_h + ky*d_h, x*s_w + kx*d_w, i) * K(ky, kx, i, o)
// with K the kernel as given (cross-correlation, the default and what frameworks call convolution) or
// rotated by 180 degrees (TrueConvolution). Output rows: (m + p_top + p_bottom - d(k-1) - 1)/s + 1.
// Learned tensors: weights, dims {O, I, KW, KH} (memory HWIO, TensorFlow's order); bias, dims {O}.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct ConvAttrs {
    static constexpr const char* kind = "conv";
    extent_t filters = 0;
    Extent2 kernel{0, 0}, stride{1, 1}, dilation{1, 1};
    Padding padding{};
    bool bias = true;
    bool flip = false;
    bool has_kernel = true;

    constexpr WindowGeometry geometry() const { return WindowGeometry{kernel, stride, dilation, padding, false}; }
    constexpr Pads rows(Shape in) const { return resolve_rows(padding, in.h, kernel, stride, dilation); }
    constexpr Pads cols(Shape in) const { return resolve_cols(padding, in.w, kernel, stride, dilation); }

    constexpr Check check(Shape in, bool strict) const {
        if (!has_kernel) return fail(Rule::missing_kernel);
        if (filters < 1) return fail(Rule::zero_filters, filters);
        return check_window(geometry(), in, strict);
    }
    constexpr Shape output(Shape in) const { return window_output(geometry(), in, filters); }
    constexpr ParamShapes param_shapes(Shape in) const {
        const ParamShape w = param4("weights", "HWIO", filters, in.c, kernel.w, kernel.h);
        return bias ? params_of(w, param1("bias", "O", filters)) : params_of(w);
    }
    // Nominal MACs: every tap, padding included (the GoogLeNet table's convention).
    constexpr extent_t macs(Shape in) const {
        const Shape out = output(in);
        return out.elements() * in.c * kernel.h * kernel.w;
    }
};

template <extent_t Filters, class... Options>
struct Conv : simple_layer<Conv<Filters, Options...>,
                           accepts<category::kernel, category::stride, category::dilation, category::padding,
                                   category::bias, category::flip>,
                           Options...> {
    static constexpr ConvAttrs attrs{
        Filters,
        detail::option_or<category::kernel, Extent2, Options...>(Extent2{0, 0}),
        detail::option_or<category::stride, Extent2, Options...>(Extent2{1, 1}),
        detail::option_or<category::dilation, Extent2, Options...>(Extent2{1, 1}),
        detail::option_or<category::padding, Padding, Options...>(Valid::value),
        detail::option_or<category::bias, bool, Options...>(true),
        detail::option_or<category::flip, bool, Options...>(false),
        detail::has_option<category::kernel, Options...>()};
};

}  // namespace kiln
