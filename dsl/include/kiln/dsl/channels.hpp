// Layers that only move channels, as ShuffleNet does. Output rows and columns = input's.
//   ChannelSlice<Begin, End>: channels [Begin, End) of the input (ONNX's Slice on axis 1; a
//     ShuffleNetV2 unit's two halves, as Concat branches).
//   ChannelShuffle<Groups>: the channels seen as a Groups x (C / Groups) matrix, transposed:
//     output channel k = i * Groups + j reads input channel j * (C / Groups) + i, so the next
//     grouped conv's groups each see channels of every group before (ShuffleNet's shuffle, exported
//     as Reshape -> Transpose -> Reshape).
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct ChannelSliceAttrs {
    static constexpr const char* kind = "channel_slice";
    extent_t begin = 0, end = 0;
    constexpr Check check(Shape in, bool) const {
        if (begin < 0 || end <= begin || end > in.c) return fail(Rule::channel_slice_out_of_range, begin, end, in.c);
        return check_ok();
    }
    constexpr Shape output(Shape in) const { return Shape{in.h, in.w, end - begin}; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

struct ChannelShuffleAttrs {
    static constexpr const char* kind = "channel_shuffle";
    extent_t groups = 1;
    constexpr Check check(Shape in, bool) const {
        if (groups < 1 || in.c % groups != 0) return fail(Rule::shuffle_groups_not_dividing_channels, in.c, groups);
        return check_ok();
    }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

template <extent_t Begin, extent_t End>
struct ChannelSlice : simple_layer<ChannelSlice<Begin, End>, accepts<>> {
    static constexpr ChannelSliceAttrs attrs{Begin, End};
};

template <extent_t Groups>
struct ChannelShuffle : simple_layer<ChannelShuffle<Groups>, accepts<>> {
    static constexpr ChannelShuffleAttrs attrs{Groups};
};

}  // namespace kiln
