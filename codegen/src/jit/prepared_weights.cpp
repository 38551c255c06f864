// Packing conv weights into their plans' channel blocks (see prepared_weights.hpp).
#include "kiln/codegen/prepared_weights.hpp"

#include "kiln/codegen/lowered.hpp"
#include "lower/winograd.hpp"

namespace kiln::codegen {

std::size_t PreparedWeights::bytes() const {
    std::size_t total = 0;
    for (const auto& stage : stages_)
        for (const auto& b : stage) total += b.size_in_bytes();
    return total;
}

Halide::Buffer<float> pack_conv_weights(const std::vector<float>& weights, const ParamSpec& spec, WeightPacking packing) {
    const std::vector<extent_t> dims = packed_weight_dims(spec, packing);
    const int block = packing.block;
    const int o_count = int(spec.dims[0]), i_count = int(spec.dims[1]), kw = int(spec.dims[2]), kh = int(spec.dims[3]);
    Halide::Buffer<float> packed(std::vector<int>(dims.begin(), dims.end()));
    packed.fill(0.0f);  // the channels past the last, in the last block
    if (packing.winograd_tile) {
        // Each 3x3 kernel transformed (winograd.hpp), in double, then stored at its (b, a).
        const detail::WinogradMatrices& w = detail::winograd_matrices(packing.winograd_tile);
        const std::size_t kernels = std::size_t(o_count) * i_count;
        for (int i = 0; i < i_count; ++i)
            for (int o = 0; o < o_count; ++o) {
                float g[9];
                for (int t = 0; t < 9; ++t) g[t] = weights[std::size_t(o) + std::size_t(o_count) * i + kernels * std::size_t(t)];
                const std::vector<double> u = detail::winograd_kernel(w, g);
                for (int a = 0; a < w.side; ++a)
                    for (int b = 0; b < w.side; ++b) packed(o % block, i, b, a, o / block) = float(u[std::size_t(a * w.side + b)]);
            }
        return packed;
    }
    const float* from = weights.data();
    for (int ky = 0; ky < kh; ++ky)
        for (int kx = 0; kx < kw; ++kx)
            for (int i = 0; i < i_count; ++i)
                for (int o = 0; o < o_count; ++o, ++from) packed(o % block, i, kx, ky, o / block) = *from;
    return packed;
}

}  // namespace kiln::codegen
