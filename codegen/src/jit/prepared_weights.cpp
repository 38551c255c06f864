// Packing conv weights into their plans' channel blocks (see prepared_weights.hpp).
#include "kiln/codegen/prepared_weights.hpp"

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen {

std::size_t PreparedWeights::bytes() const {
    std::size_t total = 0;
    for (const auto& stage : stages_)
        for (const auto& b : stage) total += b.size_in_bytes();
    return total;
}

Halide::Buffer<float> pack_conv_weights(const std::vector<float>& weights, const ParamSpec& spec, int block) {
    const std::vector<extent_t> dims = packed_weight_dims(spec, block);
    const int o_count = int(spec.dims[0]), i_count = int(spec.dims[1]), kw = int(spec.dims[2]), kh = int(spec.dims[3]);
    Halide::Buffer<float> packed(std::vector<int>(dims.begin(), dims.end()));
    packed.fill(0.0f);  // the channels past the last, in the last block
    const float* from = weights.data();
    for (int ky = 0; ky < kh; ++ky)
        for (int kx = 0; kx < kw; ++kx)
            for (int i = 0; i < i_count; ++i)
                for (int o = 0; o < o_count; ++o, ++from) packed(o % block, i, kx, ky, o / block) = *from;
    return packed;
}

}  // namespace kiln::codegen
