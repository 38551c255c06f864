// Element-wise activations. Output shape = input shape.
//   relu(x) = max(0, x)                 leaky_relu(x) = x > 0 ? x : slope * x   (slope a std::ratio)
//   sigmoid(x) = 1 / (1 + exp(-x))      tanh(x)
//   clip(x) = min(max(x, low), high)    (low, high std::ratios; ONNX's Clip, MobileNet's ReLU6)
//   silu(x) = x * sigmoid(x)            (Swish; EfficientNet's)
//   hard_sigmoid(x) = clip(alpha * x + beta, 0, 1)   (ONNX's HardSigmoid; PyTorch's is alpha 1/6, beta 1/2)
//   hard_swish(x) = x * hard_sigmoid(x), alpha 1/6, beta 1/2   (MobileNetV3's)
//   gelu(x) = x / 2 * (1 + erf(x / sqrt 2))                    (ConvNeXt's, and ONNX's Gelu)
//   gelu_tanh(x) = x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))   (its tanh approximation)
//   mish(x) = x * tanh(log(1 + exp(x)))
// A NaN input stays NaN in each, as in PyTorch.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

// Weights' signatures name a function by its number here: new ones go at the end.
enum class ActivationFunction { relu, leaky_relu, sigmoid, tanh, clip, silu, hard_sigmoid, hard_swish, gelu, gelu_tanh, mish };

struct ActivationAttrs {
    static constexpr const char* kind = "activation";
    ActivationFunction function = ActivationFunction::relu;
    double slope = 0.0;                    // leaky_relu's slope, hard_sigmoid's alpha
    extent_t slope_num = 0, slope_den = 1;  // as declared, for messages
    double low = 0.0, high = 0.0;          // clip only
    extent_t low_num = 0, low_den = 1, high_num = 0, high_den = 1;
    double offset = 0.0;                   // hard_sigmoid's beta
    extent_t offset_num = 0, offset_den = 1;

    constexpr Check check(Shape, bool) const {
        if (slope_den <= 0 || slope_num < 0) return fail(Rule::ratio_out_of_range, slope_num, slope_den);
        if (function == ActivationFunction::clip && (low_den <= 0 || high_den <= 0 || low > high))
            return fail(Rule::empty_clip_range, low_num, low_den, high_num, high_den);
        if (offset_den <= 0) return fail(Rule::ratio_out_of_range, offset_num, offset_den);
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
        case ActivationFunction::silu: return "silu";
        case ActivationFunction::hard_sigmoid: return "hard_sigmoid";
        case ActivationFunction::hard_swish: return "hard_swish";
        case ActivationFunction::gelu: return "gelu";
        case ActivationFunction::gelu_tanh: return "gelu_tanh";
        case ActivationFunction::mish: return "mish";
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
using Silu = ElementwiseActivation<ActivationFunction::silu>;
using Swish = Silu;
using Gelu = ElementwiseActivation<ActivationFunction::gelu>;
using GeluTanh = ElementwiseActivation<ActivationFunction::gelu_tanh>;
using Mish = ElementwiseActivation<ActivationFunction::mish>;

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

constexpr ActivationAttrs hard_sigmoid_attrs(ActivationFunction f, double alpha, extent_t alpha_num, extent_t alpha_den, double beta,
                                             extent_t beta_num, extent_t beta_den) {
    ActivationAttrs a{f, alpha, alpha_num, alpha_den};
    a.offset = beta, a.offset_num = beta_num, a.offset_den = beta_den;
    return a;
}

// ONNX's defaults are alpha 1/5, beta 1/2; PyTorch's Hardsigmoid (and what it exports) 1/6, 1/2.
template <class Alpha = std::ratio<1, 6>, class Beta = std::ratio<1, 2>>
struct HardSigmoid : simple_layer<HardSigmoid<Alpha, Beta>, accepts<>> {
    static constexpr ActivationAttrs attrs = hard_sigmoid_attrs(ActivationFunction::hard_sigmoid, ratio_value<Alpha>, Alpha::num, Alpha::den,
                                                                ratio_value<Beta>, Beta::num, Beta::den);
};
struct HardSwish : simple_layer<HardSwish, accepts<>> {
    static constexpr ActivationAttrs attrs = hard_sigmoid_attrs(ActivationFunction::hard_swish, 1.0 / 6, 1, 6, 0.5, 1, 2);
};

}  // namespace kiln
