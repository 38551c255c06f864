// Batch normalization folding (see batch_norm.hpp).
#include "kiln/runtime/batch_norm.hpp"

#include <cmath>

namespace kiln {

void batch_norm_scale_shift(const std::vector<float>& gamma, const std::vector<float>& beta,
                            const std::vector<float>& mean, const std::vector<float>& var, float eps,
                            std::vector<float>& scale, std::vector<float>& shift) {
    const std::size_t c = gamma.size();
    if (beta.size() != c || mean.size() != c || var.size() != c)
        throw Error("batch norm statistics must all have one value per channel");
    scale.resize(c);
    shift.resize(c);
    for (std::size_t i = 0; i < c; ++i) {
        if (!(var[i] + eps > 0)) throw Error("batch norm variance + eps must be positive");
        scale[i] = gamma[i] / std::sqrt(var[i] + eps);
        shift[i] = beta[i] - mean[i] * scale[i];
    }
}

void fold_batch_norm(Weights& weights, const std::string& conv, const std::string& bn) {
    const ParamSpec& w = weights.spec(conv + ".weights");
    weights.spec(conv + ".bias");
    auto& scale = weights[bn + ".scale"];
    auto& shift = weights[bn + ".shift"];
    const std::size_t filters = std::size_t(w.dims[0]);
    if (scale.size() != filters)
        throw Error("cannot fold " + bn + " (" + std::to_string(scale.size()) + " channels) into " + conv + " (" +
                    std::to_string(filters) + " filters)");
    auto& wv = weights[conv + ".weights"];
    auto& bv = weights[conv + ".bias"];
    for (std::size_t i = 0; i < wv.size(); ++i) wv[i] *= scale[i % filters];  // filters are innermost
    for (std::size_t o = 0; o < filters; ++o) bv[o] = bv[o] * scale[o] + shift[o];
    for (std::size_t o = 0; o < filters; ++o) scale[o] = 1.0f, shift[o] = 0.0f;
}

}  // namespace kiln
