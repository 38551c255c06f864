// EfficientNet-B0 (Tan & Le 2019, as torchvision builds it): a 3x3/2 stem, sixteen MBConv blocks in
// seven stages, a 1x1 conv to 1280 channels, global average pool, dropout and a 1000-way linear
// layer. An MBConv block expands the channels six-fold with a 1x1 conv (not in the first stage),
// filters each channel with a depthwise k x k conv, rescales the channels by squeeze-excitation
// (to a quarter of the block's input channels and back), and projects down with a 1x1 conv; the
// input is added back when the shape is unchanged. SiLU throughout; convs followed by batch norm
// carry no bias.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

namespace efficientnet {
// Net<Input, parts...> with each Seq<...> part spliced in: a block that is not residual is a run of
// layers, not one layer.
template <class T>
struct as_seq {
    using type = Seq<T>;
};
template <class... L>
struct as_seq<Seq<L...>> {
    using type = Seq<L...>;
};
template <class... Parts>
struct join;
template <class... L>
struct join<Seq<L...>> {
    using type = Net<L...>;
};
template <class... A, class... B, class... Rest>
struct join<Seq<A...>, Seq<B...>, Rest...> : join<Seq<A..., B...>, Rest...> {};
template <class... Parts>
using NetOf = typename join<typename as_seq<Parts>::type...>::type;

// Expanded channels E (= In when the block does not expand), kernel K, stride S.
template <extent_t In, extent_t E, extent_t Out, extent_t K, extent_t S>
using Filter = Seq<DepthwiseConv<E, Kernel<K>, Stride<S>, Pad<K / 2>, NoBias>, BatchNorm, Silu,
                   SqueezeExcite<E, (In / 4 > 1 ? In / 4 : 1), Silu>,  // torchvision squeezes to max(1, In / 4)
                   Conv<Out, Kernel<1>, NoBias>, BatchNorm>;
template <class Expand, class F>
struct mbconv_layers;
template <class... X, class... L>
struct mbconv_layers<Seq<X...>, Seq<L...>> {
    using type = Seq<X..., L...>;
};
template <extent_t In, extent_t Out, extent_t Ratio, extent_t K, extent_t S>
using MBConvLayers =
    typename mbconv_layers<std::conditional_t<Ratio == 1, Seq<>, Seq<Conv<In * Ratio, Kernel<1>, NoBias>, BatchNorm, Silu>>,
                           Filter<In, In * Ratio, Out, K, S>>::type;

template <class Layers>
struct residual_of;
template <class... L>
struct residual_of<Seq<L...>> {
    using type = Residual<Body<L...>>;
};
// The block: residual when it keeps the shape.
template <extent_t In, extent_t Out, extent_t Ratio, extent_t K, extent_t S>
using MBConv = std::conditional_t<S == 1 && In == Out, typename residual_of<MBConvLayers<In, Out, Ratio, K, S>>::type,
                                  MBConvLayers<In, Out, Ratio, K, S>>;
}  // namespace efficientnet

using efficientnet::MBConv;

using EfficientNetB0 = efficientnet::NetOf<Input<224, 224, 3>,
                                           Conv<32, Kernel<3>, Stride<2>, Pad<1>, NoBias>, BatchNorm, Silu,  // 112x112x32
                                           MBConv<32, 16, 1, 3, 1>,                                          // 112x112x16
                                           MBConv<16, 24, 6, 3, 2>, MBConv<24, 24, 6, 3, 1>,                 // 56x56x24
                                           MBConv<24, 40, 6, 5, 2>, MBConv<40, 40, 6, 5, 1>,                 // 28x28x40
                                           MBConv<40, 80, 6, 3, 2>, MBConv<80, 80, 6, 3, 1>, MBConv<80, 80, 6, 3, 1>,  // 14x14x80
                                           MBConv<80, 112, 6, 5, 1>, MBConv<112, 112, 6, 5, 1>, MBConv<112, 112, 6, 5, 1>,
                                           MBConv<112, 192, 6, 5, 2>, MBConv<192, 192, 6, 5, 1>, MBConv<192, 192, 6, 5, 1>,  // 7x7x192
                                           MBConv<192, 192, 6, 5, 1>, MBConv<192, 320, 6, 3, 1>,            // 7x7x320
                                           Conv<1280, Kernel<1>, NoBias>, BatchNorm, Silu, GlobalAvgPool, Dropout<std::ratio<1, 5>>,
                                           Dense<1000>>;

// torchvision's efficientnet_b0 has 5,288,548 parameters (batch norm's scale and shift included,
// its running statistics not).
static_assert(EfficientNetB0::param_count == 5288548);
static_assert(EfficientNetB0::output_shape == Shape{1, 1, 1000});

}  // namespace nets
