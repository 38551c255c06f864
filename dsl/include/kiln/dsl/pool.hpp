// Pooling: MaxPool<Options...>, AvgPool<Options...>, GlobalAvgPool, GlobalMaxPool.
//
//   MaxPool<Window<2>, Stride<2>>                  the lecture's 2x2 / 2 max pooling
//   MaxPool<Window<3>, Stride<2>, Same>            TensorFlow CIFAR-10 and GoogLeNet pooling
//   AvgPool<Window<7>, Stride<1>>                  GoogLeNet's final average pool
//   AvgPool<Window<3>, Stride<1>, Same, CountPadding>
//   MaxPool<Window<3>, Stride<2>, CeilMode>         a last, partial window still pooled (PyTorch's ceil_mode)
//   MaxPool<Window<2>, Stride<1>, Dilation<2>>      a dilated window (max pooling only)
//
// Output rows follow the one shape rule; CeilMode rounds the output up instead, as if ceil_mode_extra
// cells were padded after the end (shape.hpp). Stride defaults to the window (as in PyTorch and
// Keras). Max pooling ignores padded cells (they act as -infinity; a dilated window that holds no
// input cell gives -infinity, as in PyTorch). An average divides by the number
// of input cells in the window (ExcludePadding, the default, as TensorFlow) or by the window's cells
// inside the declared padding (CountPadding, PyTorch's count_include_pad=True: the whole window,
// except where ceil mode's last window reaches past the padding). No learned tensors.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

enum class PoolFunction { max, average };

struct PoolAttrs {
    static constexpr const char* kind = "pool";
    PoolFunction function = PoolFunction::max;
    Extent2 window{0, 0}, stride{1, 1};
    Padding padding{};
    bool count_padding = false;
    bool has_window = true;
    Extent2 dilation{1, 1};  // MaxPool's Dilation (AvgPool declares none; lowered either way)
    bool ceil_mode = false;

    constexpr WindowGeometry geometry() const { return WindowGeometry{window, stride, dilation, padding, true, ceil_mode}; }
    // The padding the window reads through: declared, plus ceil mode's cells after the end.
    constexpr Pads rows(Shape in) const { return window_rows(geometry(), in.h); }
    constexpr Pads cols(Shape in) const { return window_cols(geometry(), in.w); }
    // The padding as declared, which CountPadding counts.
    constexpr Pads declared_rows(Shape in) const { return resolve_rows(padding, in.h, window, stride, dilation); }
    constexpr Pads declared_cols(Shape in) const { return resolve_cols(padding, in.w, window, stride, dilation); }
    // Rows and columns one window spans: d*(k-1)+1.
    constexpr Extent2 span() const { return Extent2{dilated_extent(window.h, dilation.h), dilated_extent(window.w, dilation.w)}; }
    constexpr Check check(Shape in, bool strict) const {
        if (!has_window) return fail(Rule::missing_window);
        return check_window(geometry(), in, strict);
    }
    constexpr Shape output(Shape in) const { return window_output(geometry(), in, in.c); }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

namespace detail {
template <PoolFunction F, class... Options>
constexpr PoolAttrs pool_attrs() {
    const Extent2 window = option_or<category::window, Extent2, Options...>(Extent2{0, 0});
    return PoolAttrs{F,
                     window,
                     option_or<category::stride, Extent2, Options...>(window),
                     option_or<category::padding, Padding, Options...>(Valid::value),
                     option_or<category::pad_counting, bool, Options...>(false),
                     has_option<category::window, Options...>(),
                     option_or<category::dilation, Extent2, Options...>(Extent2{1, 1}),
                     option_or<category::rounding, bool, Options...>(false)};
}
}  // namespace detail

template <class... Options>
struct MaxPool : simple_layer<MaxPool<Options...>,
                              accepts<category::window, category::stride, category::padding, category::dilation, category::rounding>,
                              Options...> {
    static constexpr PoolAttrs attrs = detail::pool_attrs<PoolFunction::max, Options...>();
};

template <class... Options>
struct AvgPool : simple_layer<AvgPool<Options...>,
                              accepts<category::window, category::stride, category::padding, category::pad_counting, category::rounding>,
                              Options...> {
    static constexpr PoolAttrs attrs = detail::pool_attrs<PoolFunction::average, Options...>();
};

// Mean over all rows and columns of each channel: H x W x C -> 1 x 1 x C.
struct GlobalAvgPoolAttrs {
    static constexpr const char* kind = "global_avg_pool";
    constexpr Check check(Shape, bool) const { return check_ok(); }
    constexpr Shape output(Shape in) const { return Shape{1, 1, in.c}; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

struct GlobalAvgPool : simple_layer<GlobalAvgPool, accepts<>> {
    static constexpr GlobalAvgPoolAttrs attrs{};
};

// Max over all rows and columns of each channel (a NaN wins, as in PyTorch): H x W x C -> 1 x 1 x C.
struct GlobalMaxPoolAttrs {
    static constexpr const char* kind = "global_max_pool";
    constexpr Check check(Shape, bool) const { return check_ok(); }
    constexpr Shape output(Shape in) const { return Shape{1, 1, in.c}; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

struct GlobalMaxPool : simple_layer<GlobalMaxPool, accepts<>> {
    static constexpr GlobalMaxPoolAttrs attrs{};
};

}  // namespace kiln
