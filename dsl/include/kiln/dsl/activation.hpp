// Element-wise activations: Relu, LeakyRelu<Slope>, Sigmoid, Tanh, Clip<Low, High> (Relu6). Output
// shape = input shape.
//   relu(x) = max(0, x)                 leaky_relu(x) = x > 0 ? x : slope * x   (slope a std::ratio)
//   sigmoid(x) = 1 / (1 + exp(-x))      tanh(x)
//   clip(x) = min(max(x, low), high)    (low, high std::ratios; ONNX's Clip, MobileNet's ReLU6)
// A NaN input stays NaN in each, as in PyTorch.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

enum class ActivationFunction { relu, leaky_relu, sigmoid, tanh, clip };

struct ActivationAttrs {
    static constexpr const char* kind = "activation";
    ActivationFunction function = ActivationFunction::relu;
    double slope = 0.0;                    // leaky_relu only
    extent_t slope_num = 0, slope_den = 1;  // as declared, for messages
    double low = 0.0, high = 0.0;          // clip only
    extent_t low_num = 0, low_den = 1, high_num = 0, high_den = 1;

    constexpr Check check(Shape, bool) const {
        if (slope_den <= 0 || slope_num < 0) return fail(Rule::ratio_out_of_range, slope_num, slope_den);
        if (function == ActivationFunction::clip && (low_den <= 0 || high_den <= 0 || low > high))
            return fail(Rule::empty_clip_range, low_num, low_den, high_num, high_den);
        return check_ok();
    }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
    constexpr const char* name() const {
        switch (function) {
        case ActivationFunction::relu: return "relu";
        case ActivationFunction::leaky_relu: return "leaky_relu";
        case ActivationFunction::sigmoid: return "sigmoid";
        case ActivationFunction::tanh: return "tanh";
        case ActivationFunction::clip: return "clip";
        }
        return "?";
    }
};

template <ActivationFunction F>
struct ElementwiseActivation : simple_layer<ElementwiseActivation<F>, accepts<>> {
    static constexpr ActivationAttrs attrs{F, 0.0, 0, 1};
};
using Relu = ElementwiseActivation<ActivationFunction::relu>;
using Sigmoid = ElementwiseActivation<ActivationFunction::sigmoid>;
using Tanh = ElementwiseActivation<ActivationFunction::tanh>;

template <class Slope = std::ratio<1, 100>>
struct LeakyRelu : simple_layer<LeakyRelu<Slope>, accepts<>> {
    static constexpr ActivationAttrs attrs{ActivationFunction::leaky_relu, ratio_value<Slope>, Slope::num, Slope::den};
};

template <class Low, class High>
struct Clip : simple_layer<Clip<Low, High>, accepts<>> {
    static constexpr ActivationAttrs attrs{ActivationFunction::clip, 0.0, 0, 1, ratio_value<Low>, ratio_value<High>,
                                           Low::num, Low::den, High::num, High::den};
};
using Relu6 = Clip<std::ratio<0>, std::ratio<6>>;

}  // namespace kiln
