// Compile-time errors a person can read. A C++17 static_assert message cannot hold computed numbers,
// so each failed rule instantiates a template in kiln::error whose NAME says what went wrong and
// whose ARGUMENTS carry where (layer position, branch) and the numbers; the compiler's first line,
// "In instantiation of 'struct kiln::error::...<...>'", shows them all. Only the first failing
// layer of a net is reported: later layers are never examined, so there is no cascade.
#pragma once

#include "kiln/dsl/check.hpp"

namespace kiln::error {

// Where: positions are 1-based, the Input is layer 0; inside a Concat or Residual the path goes on
// with branch<b> (1-based; a Residual's body is branch 1, its shortcut branch 2) and the layer there.
template <extent_t N> struct layer {};
template <extent_t N> struct branch {};
template <class... Steps> struct where {};

// The numbers, each wrapped in a type that names it.
template <extent_t H, extent_t W, extent_t C> struct input_shape {};
template <extent_t H, extent_t W> struct padded_input {};
template <extent_t H, extent_t W> struct dilated_kernel {};
template <extent_t H, extent_t W> struct kernel {};
template <extent_t H, extent_t W> struct window {};
template <extent_t H, extent_t W> struct stride {};
template <extent_t H, extent_t W> struct dilation {};
template <extent_t N> struct filters {};
template <extent_t N> struct units {};
template <extent_t N> struct groups {};
template <extent_t N> struct input_channels {};
template <extent_t Top, extent_t Bottom, extent_t Left, extent_t Right> struct padding {};
template <extent_t Num, extent_t Den> struct ratio {};
template <extent_t N> struct radius {};
template <extent_t LowNum, extent_t LowDen, extent_t HighNum, extent_t HighDen> struct clip_range {};
template <extent_t N> struct option_number {};  // 1-based position in the layer's option list
template <class Option> struct option {};
struct rows {};
struct cols {};
template <class Axis, extent_t Padded, extent_t KernelSpan, extent_t Stride, extent_t Dropped> struct axis_numbers {};
template <extent_t H, extent_t W> struct first_branch_output {};
template <extent_t B, extent_t H, extent_t W> struct branch_output {};
template <extent_t H, extent_t W, extent_t C> struct body_output {};
template <extent_t H, extent_t W, extent_t C> struct shortcut_output {};
template <extent_t H, extent_t W, extent_t C> struct gate_input {};
template <extent_t Begin, extent_t End> struct channel_range {};
template <extent_t H, extent_t W, extent_t C> struct gate_branch_output {};

template <class...> constexpr bool always_false = false;

#define KILN_ERROR(NAME, MESSAGE)                                       \
    template <class... Details>                                         \
    struct NAME {                                                       \
        static_assert(always_false<Details...>, "kiln: " MESSAGE        \
                      " (layer position and numbers are in the template arguments above)"); \
    }

// Each message: the rule that failed and what to change.
KILN_ERROR(input_extent_below_1, "every Input<H, W, C> extent must be at least 1");
KILN_ERROR(net_must_start_with_input, "a Net's first layer must be Input<H, W, C>");
KILN_ERROR(input_not_first, "Input<H, W, C> may only be a Net's first layer");
KILN_ERROR(conv_needs_kernel, "a Conv needs a Kernel<h, w> option");
KILN_ERROR(pool_needs_window, "a pooling layer needs a Window<h, w> option");
KILN_ERROR(zero_filters, "a Conv needs at least one filter");
KILN_ERROR(zero_groups, "a Conv needs at least one group (Groups<1> is an ordinary convolution)");
KILN_ERROR(channels_not_divisible_by_groups,
           "a grouped Conv's input channels and filters must both be multiples of its Groups<g>, so that "
           "every group has the same number of each");
KILN_ERROR(zero_units, "a Dense layer needs at least one unit");
KILN_ERROR(zero_kernel, "every kernel extent must be at least 1");
KILN_ERROR(zero_window, "every pooling window extent must be at least 1");
KILN_ERROR(zero_stride, "every stride must be at least 1");
KILN_ERROR(zero_dilation, "every dilation must be at least 1");
KILN_ERROR(negative_padding, "padding cannot be negative");
KILN_ERROR(kernel_larger_than_padded_input,
           "the (dilated) kernel is larger than the padded input, so this convolution has no output; "
           "use a smaller kernel or dilation, add padding, or check the shape the previous layer gives");
KILN_ERROR(window_larger_than_padded_input,
           "the pooling window is larger than the padded input, so this pooling has no output; "
           "use a smaller window or add padding");
KILN_ERROR(padding_not_smaller_than_window,
           "a pooling window would lie wholly in padding; padding on each side must be smaller than the window");
KILN_ERROR(stride_drops_input,
           "strict mode: the stride steps past the last input rows or columns, which no window reads "
           "((m + p_begin + p_end - span) mod stride != 0); change padding or stride, or use Net instead of StrictNet");
KILN_ERROR(ratio_out_of_range, "this ratio is out of range (a Dropout rate must be in [0, 1), an exponent or "
                               "coefficient must not be negative)");
KILN_ERROR(empty_clip_range, "a Clip's low bound must not be above its high bound");
KILN_ERROR(negative_radius, "a local response normalization radius cannot be negative");
KILN_ERROR(option_not_accepted, "this layer does not take that option");
KILN_ERROR(duplicate_option, "this option's kind was already given to this layer");
KILN_ERROR(empty_concat, "a Concat needs at least one Branch<...>");
KILN_ERROR(concat_spatial_mismatch,
           "Concat branches must give outputs of equal rows and columns to join them along channels");
KILN_ERROR(residual_shape_mismatch,
           "a Residual's body and shortcut must give the same shape to be added; add a projection "
           "shortcut (e.g. Shortcut<Conv<C, Kernel<1>, Stride<s>>>) or fix the body");

KILN_ERROR(gate_shape_mismatch,
           "a Gate's branch must give one value per channel (1x1xC, as squeeze-excitation's does) or one per input "
           "value (the input's shape) to multiply its input by");
KILN_ERROR(channel_slice_out_of_range, "a ChannelSlice<Begin, End> needs 0 <= Begin < End <= the input's channels");
KILN_ERROR(shuffle_groups_not_dividing_channels, "a ChannelShuffle's groups must divide the input's channels");

#undef KILN_ERROR

// Instantiates the named error for a failed simple-layer check; returns true so that callers can
// use it in a static_assert without adding a second message.
template <class Where, class Layer, class OptionAt, extent_t H, extent_t W, extent_t C, Rule R, extent_t a,
          extent_t b, extent_t c, extent_t d, extent_t e, extent_t f>
constexpr bool report() {
    using in = input_shape<H, W, C>;
    if constexpr (R == Rule::ok) return true;
    else if constexpr (R == Rule::input_extent_below_1)
        return sizeof(input_extent_below_1<Where, Layer, input_shape<a, b, c>>) > 0;
    else if constexpr (R == Rule::missing_kernel) return sizeof(conv_needs_kernel<Where, Layer>) > 0;
    else if constexpr (R == Rule::missing_window) return sizeof(pool_needs_window<Where, Layer>) > 0;
    else if constexpr (R == Rule::zero_filters) return sizeof(zero_filters<Where, Layer, filters<a>>) > 0;
    else if constexpr (R == Rule::zero_groups) return sizeof(zero_groups<Where, Layer, groups<a>>) > 0;
    else if constexpr (R == Rule::channels_not_divisible_by_groups)
        return sizeof(channels_not_divisible_by_groups<Where, Layer, input_channels<a>, filters<b>, groups<c>>) > 0;
    else if constexpr (R == Rule::zero_units) return sizeof(zero_units<Where, Layer, units<a>>) > 0;
    else if constexpr (R == Rule::zero_kernel) return sizeof(zero_kernel<Where, Layer, kernel<a, b>>) > 0;
    else if constexpr (R == Rule::zero_window) return sizeof(zero_window<Where, Layer, window<a, b>>) > 0;
    else if constexpr (R == Rule::zero_stride) return sizeof(zero_stride<Where, Layer, stride<a, b>>) > 0;
    else if constexpr (R == Rule::zero_dilation) return sizeof(zero_dilation<Where, Layer, dilation<a, b>>) > 0;
    else if constexpr (R == Rule::negative_padding)
        return sizeof(negative_padding<Where, Layer, padding<a, b, c, d>>) > 0;
    else if constexpr (R == Rule::kernel_larger_than_padded_input)
        return sizeof(kernel_larger_than_padded_input<Where, Layer, in, padded_input<a, b>, dilated_kernel<c, d>>) > 0;
    else if constexpr (R == Rule::window_larger_than_padded_input)
        return sizeof(window_larger_than_padded_input<Where, Layer, in, padded_input<a, b>, window<c, d>>) > 0;
    else if constexpr (R == Rule::padding_not_smaller_than_window)
        return sizeof(padding_not_smaller_than_window<Where, Layer, padding<a, b, c, d>, window<e, f>>) > 0;
    else if constexpr (R == Rule::stride_drops_input) {
        if constexpr (a == 0) return sizeof(stride_drops_input<Where, Layer, in, axis_numbers<rows, b, c, d, e>>) > 0;
        else return sizeof(stride_drops_input<Where, Layer, in, axis_numbers<cols, b, c, d, e>>) > 0;
    } else if constexpr (R == Rule::ratio_out_of_range)
        return sizeof(ratio_out_of_range<Where, Layer, ratio<a, b>>) > 0;
    else if constexpr (R == Rule::empty_clip_range)
        return sizeof(empty_clip_range<Where, Layer, clip_range<a, b, c, d>>) > 0;
    else if constexpr (R == Rule::negative_radius) return sizeof(negative_radius<Where, Layer, radius<a>>) > 0;
    else if constexpr (R == Rule::option_not_accepted)
        return sizeof(option_not_accepted<Where, Layer, option_number<a + 1>, option<OptionAt>>) > 0;
    else if constexpr (R == Rule::duplicate_option)
        return sizeof(duplicate_option<Where, Layer, option_number<a + 1>, option<OptionAt>>) > 0;
    else if constexpr (R == Rule::input_not_first) return sizeof(input_not_first<Where, Layer>) > 0;
    else if constexpr (R == Rule::empty_concat) return sizeof(empty_concat<Where, Layer>) > 0;
    else if constexpr (R == Rule::concat_spatial_mismatch)
        return sizeof(concat_spatial_mismatch<Where, first_branch_output<a, b>, branch_output<c, d, e>>) > 0;
    else if constexpr (R == Rule::residual_shape_mismatch)
        return sizeof(residual_shape_mismatch<Where, body_output<a, b, c>, shortcut_output<d, e, f>>) > 0;
    else if constexpr (R == Rule::channel_slice_out_of_range)
        return sizeof(channel_slice_out_of_range<Where, Layer, in, channel_range<a, b>>) > 0;
    else if constexpr (R == Rule::shuffle_groups_not_dividing_channels)
        return sizeof(shuffle_groups_not_dividing_channels<Where, Layer, input_channels<a>, groups<b>>) > 0;
    else if constexpr (R == Rule::gate_shape_mismatch)
        return sizeof(gate_shape_mismatch<Where, gate_input<a, b, c>, gate_branch_output<d, e, f>>) > 0;
    else return sizeof(always_false<Layer>) > 0;  // Rule::nested is handled by the composite layers
}

}  // namespace kiln::error
