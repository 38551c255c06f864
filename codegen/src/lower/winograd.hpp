// Winograd's minimal filtering F(m x m, 3 x 3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): an m x m tile of a 3x3 conv's outputs from a (m + 2) x (m + 2) tile of
// its input in (m + 2)^2 multiplies per input channel instead of 9 m^2 (2.25x fewer for m = 2, 4x
// for m = 4). With d an input tile, g a kernel, both row-major [row][column]:
//
//     Y = AT [(G g GT) . (BT d B)] A          (. multiplies element by element)
//
// The kernel transform G g GT is done once, when weights are prepared (prepared_weights.cpp); the
// input transform BT d B and the output transform AT M A are stages of the lowered conv
// (winograd_conv.cpp); the products, summed over input channels, are the conv's reduction.
#pragma once

#include <vector>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln::codegen::detail {

struct WinogradMatrices {
    int m = 0;     // outputs per tile side
    int side = 0;  // m + 2: inputs per tile side, values per transformed tile side
    std::vector<std::vector<double>> BT;  // side x side: input transform
    std::vector<std::vector<double>> G;   // side x 3: kernel transform
    std::vector<std::vector<double>> AT;  // m x side: output transform
};

// F(2x2, 3x3) or F(4x4, 3x3); any other m is a kiln::Error.
const WinogradMatrices& winograd_matrices(int m);

// Whether Winograd's F(m x m, 3 x 3) computes this conv: 3x3 kernel, stride 1, no dilation, one
// group, not flipped, inference.
bool winograd_computes(const LayerSpec& conv);

// One 3x3 kernel g (row-major, g[ky * 3 + kx]) transformed: G g GT, row-major side x side.
std::vector<double> winograd_kernel(const WinogradMatrices& w, const float* g3x3);

}  // namespace kiln::codegen::detail
