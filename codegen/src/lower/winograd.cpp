// Winograd's matrices and the kernel transform (see winograd.hpp).
#include "lower/winograd.hpp"

#include "kiln/runtime/error.hpp"

namespace kiln::codegen::detail {

const WinogradMatrices& winograd_matrices(int m) {
    // Lavin & Gray's interpolation points: 0, 1, -1 (and infinity) for m = 2; 0, +-1, +-2 for m = 4.
    static const WinogradMatrices f2{2, 4,
                                     {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
                                     {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
                                     {{1, 1, 1, 0}, {0, 1, -1, -1}}};
    static const WinogradMatrices f4{4, 6,
                                     {{4, 0, -5, 0, 1, 0},
                                      {0, -4, -4, 1, 1, 0},
                                      {0, 4, -4, -1, 1, 0},
                                      {0, -2, -1, 2, 1, 0},
                                      {0, 2, -1, -2, 1, 0},
                                      {0, 4, 0, -5, 0, 1}},
                                     {{1. / 4, 0, 0},
                                      {-1. / 6, -1. / 6, -1. / 6},
                                      {-1. / 6, 1. / 6, -1. / 6},
                                      {1. / 24, 1. / 12, 1. / 6},
                                      {1. / 24, -1. / 12, 1. / 6},
                                      {0, 0, 1}},
                                     {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
    if (m == 2) return f2;
    if (m == 4) return f4;
    throw Error("Winograd tiles of " + std::to_string(m) + " x " + std::to_string(m) + " outputs are not supported (2 or 4)");
}

bool winograd_computes(const LayerSpec& conv) {
    const auto* a = std::get_if<ConvAttrs>(&conv.attrs);
    return a && a->kernel.w == 3 && a->kernel.h == 3 && a->stride.w == 1 && a->stride.h == 1 && a->dilation.w == 1 &&
           a->dilation.h == 1 && a->groups == 1 && !a->flip;
}

std::vector<double> winograd_kernel(const WinogradMatrices& w, const float* g) {
    const int s = w.side;
    std::vector<double> gg(std::size_t(s) * 3), u(std::size_t(s) * s);
    for (int a = 0; a < s; ++a)  // G g: side x 3
        for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 3; ++i) gg[a * 3 + j] += w.G[a][i] * g[i * 3 + j];
    for (int a = 0; a < s; ++a)  // (G g) GT: side x side
        for (int b = 0; b < s; ++b)
            for (int j = 0; j < 3; ++j) u[a * s + b] += gg[a * 3 + j] * w.G[b][j];
    return u;
}

}  // namespace kiln::codegen::detail
