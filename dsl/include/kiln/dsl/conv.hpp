// Convolution: Conv<Filters, Options...>.
//
//   Conv<64, Kernel<5>, Same>                      5x5, 64 filters, stride 1, TensorFlow 'same' padding
//   Conv<32, Kernel<3, 5>, Stride<2>, Pad<1, 2>>   rectangular kernel, explicit symmetric padding
//   Conv<1, Kernel<3>, Full, NoBias>               the lecture's Sobel example (p = k - 1)
//   Conv<8, Kernel<3>, Dilation<2>, TrueConvolution>
//   Conv<64, Kernel<3>, Groups<2>>                 two groups of 32 filters, each over half the input channels
//   DepthwiseConv<32, Kernel<3>, Pad<1>>           one 3x3 filter per channel of a 32-channel input
//
// out(n, y, x, o) = bias[o] + sum_{i, ky, kx} in_padded(n, y*s_h + ky*d_h, x*s_w + kx*d_w, g(o)*I/G + i) * K(ky, kx, i, o)
// with i over the I/G input channels of filter o's group g(o) = o / (O/G) (all of them when G = 1),
// and K the kernel as given (cross-correlation, the default and what frameworks call convolution) or
// rotated by 180 degrees (TrueConvolution). Output rows: (m + p_top + p_bottom - d(k-1) - 1)/s + 1.
// Learned tensors: weights, dims {O, I/G, KW, KH} (memory HWIO, TensorFlow's order, with I/G input
// channels as TensorFlow's grouped conv has them); bias, dims {O}.
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
    extent_t groups = 1;

    constexpr WindowGeometry geometry() const { return WindowGeometry{kernel, stride, dilation, padding, false}; }
    constexpr Pads rows(Shape in) const { return resolve_rows(padding, in.h, kernel, stride, dilation); }
    constexpr Pads cols(Shape in) const { return resolve_cols(padding, in.w, kernel, stride, dilation); }

    constexpr Check check(Shape in, bool strict) const {
        if (!has_kernel) return fail(Rule::missing_kernel);
        if (filters < 1) return fail(Rule::zero_filters, filters);
        if (groups < 1) return fail(Rule::zero_groups, groups);
        if (in.c % groups != 0 || filters % groups != 0)
            return fail(Rule::channels_not_divisible_by_groups, in.c, filters, groups);
        return check_window(geometry(), in, strict);
    }
    constexpr Shape output(Shape in) const { return window_output(geometry(), in, filters); }
    // Input channels each filter reads: its group's.
    constexpr extent_t group_input_channels(Shape in) const { return in.c / groups; }
    constexpr extent_t group_filters() const { return filters / groups; }
    // One input channel per group: no reduction over channels (depthwise, with any multiplier).
    constexpr bool depthwise(Shape in) const { return groups > 1 && group_input_channels(in) == 1; }
    constexpr ParamShapes param_shapes(Shape in) const {
        const ParamShape w = param4("weights", "HWIO", filters, group_input_channels(in), kernel.w, kernel.h);
        return bias ? params_of(w, param1("bias", "O", filters)) : params_of(w);
    }
    // Nominal MACs: every tap, padding included (the GoogLeNet table's convention).
    constexpr extent_t macs(Shape in) const {
        const Shape out = output(in);
        return out.elements() * group_input_channels(in) * kernel.h * kernel.w;
    }
};

template <extent_t Filters, class... Options>
struct Conv : simple_layer<Conv<Filters, Options...>,
                           accepts<category::kernel, category::stride, category::dilation, category::padding,
                                   category::bias, category::flip, category::groups>,
                           Options...> {
    static constexpr ConvAttrs attrs{
        Filters,
        detail::option_or<category::kernel, Extent2, Options...>(Extent2{0, 0}),
        detail::option_or<category::stride, Extent2, Options...>(Extent2{1, 1}),
        detail::option_or<category::dilation, Extent2, Options...>(Extent2{1, 1}),
        detail::option_or<category::padding, Padding, Options...>(Valid::value),
        detail::option_or<category::bias, bool, Options...>(true),
        detail::option_or<category::flip, bool, Options...>(false),
        detail::has_option<category::kernel, Options...>(),
        detail::option_or<category::groups, extent_t, Options...>(1)};
};

// A depthwise convolution over a `Channels`-channel input: one filter per channel (ONNX's Conv with
// group = channels). Filters and input channels must agree, which the Groups check states.
template <extent_t Channels, class... Options>
using DepthwiseConv = Conv<Channels, Groups<Channels>, Options...>;

}  // namespace kiln
