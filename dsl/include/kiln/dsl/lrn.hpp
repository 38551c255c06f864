// Local response normalization across channels, TensorFlow's tf.nn.lrn (used by its CIFAR-10 model):
//   out[c] = in[c] / (bias + alpha * sum_{c' = c - radius}^{c + radius} in[c']^2)^beta
// Channels outside [0, C) count as zero. Note that alpha multiplies the plain sum; PyTorch and Caffe
// divide alpha by the window size (2 * radius + 1) first. Defaults are tf.nn.lrn's; the CIFAR-10
// model uses Lrn<4, std::ratio<1>, std::ratio<1, 9000>, std::ratio<3, 4>>. Shape unchanged.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct LrnAttrs {
    static constexpr const char* kind = "lrn";
    extent_t radius = 5;
    double bias = 1.0, alpha = 1.0, beta = 0.5;
    extent_t alpha_num = 1, alpha_den = 1, beta_num = 1, beta_den = 2;

    constexpr Check check(Shape, bool) const {
        if (radius < 0) return fail(Rule::negative_radius, radius);
        if (alpha_den <= 0 || alpha_num < 0) return fail(Rule::ratio_out_of_range, alpha_num, alpha_den);
        if (beta_den <= 0 || beta_num < 0) return fail(Rule::ratio_out_of_range, beta_num, beta_den);
        return check_ok();
    }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

template <extent_t Radius = 5, class Bias = std::ratio<1>, class Alpha = std::ratio<1>, class Beta = std::ratio<1, 2>>
struct Lrn : simple_layer<Lrn<Radius, Bias, Alpha, Beta>, accepts<>> {
    static constexpr LrnAttrs attrs{Radius,    ratio_value<Bias>, ratio_value<Alpha>, ratio_value<Beta>,
                                    Alpha::num, Alpha::den,        Beta::num,          Beta::den};
};

}  // namespace kiln
