// A 3x3 conv by Winograd's F(m x m, 3 x 3) (winograd.hpp): the input cut into tiles and
// transformed, multiplied by the prepared kernels and summed over input channels, transformed back.
#include <functional>

#include "lower/lower_context.hpp"
#include "lower/winograd.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
// L V Lt for a tile V of side x side values, value(i, j) its row i and column j, and L one of the
// transform matrices (BT or AT, side columns): element (p, q) is the sum over i, j of
// L[p][i] L[q][j] value(i, j), the zeros of L left out. The elements are muxed by (row, column): the
// schedule unrolls both, so each copy is its one sum.
Expr tile_transform(const std::vector<std::vector<double>>& L, const Expr& row, const Expr& column,
                    const std::function<Expr(int, int)>& value) {
    std::vector<Expr> rows;
    for (const auto& left : L) {
        std::vector<Expr> elements;
        for (const auto& right : L) {
            Expr sum;
            for (std::size_t i = 0; i < left.size(); ++i)
                for (std::size_t j = 0; j < right.size(); ++j) {
                    const double k = left[i] * right[j];
                    if (k == 0) continue;
                    const Expr v = value(int(i), int(j));
                    const Expr term = k == 1 ? v : k == -1 ? -v : float(k) * v;
                    sum = sum.defined() ? sum + term : term;
                }
            elements.push_back(sum.defined() ? sum : Expr(0.0f));
        }
        rows.push_back(mux(column, elements));
    }
    return mux(row, rows);
}
}  // namespace

LayerStages lower_conv_winograd(const LayerInput& li, const ConvAttrs& a, WeightPacking packing) {
    const WinogradMatrices& w = winograd_matrices(packing.winograd_tile);
    const int m = w.m, block = packing.block;
    const Shape in = li.spec.in;
    const Pads rows = a.rows(in), cols = a.cols(in);
    // Read through the padding rather than from a padded copy: each input value is read by at most
    // four tiles' transforms, all in one pass. Edge tiles reach past the padding (or, unpadded,
    // past the image) for outputs that are never stored: zeros there too, or the edge's values.
    const bool padded = rows.begin || rows.end || cols.begin || cols.end;
    Func input = padded ? pad_spatial(li, rows, cols, 0.0f)
                        : BoundaryConditions::repeat_edge(li.in, {{0, int(in.c)}, {0, int(in.w)}, {0, int(in.h)}});
    ImageParam u = li.param("weights");  // the transformed kernels, packed: (o % block, i, b, a, o / block)
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    // (tile_b, tile_a): a transformed tile's column and row; (tx, ty): the tile's column and row.
    const Var tb(li.name("wb")), ta(li.name("wa")), tx(li.name("tx")), ty(li.name("ty"));

    // BT d B: row ta, column tb of a tile's transform.
    const auto tile_input = [&](int i, int j) { return input(c, tx * m + j - int(cols.begin), ty * m + i - int(rows.begin), n); };
    Func tiles(li.name("winograd_input"));
    tiles(c, tb, ta, tx, ty, n) = tile_transform(w.BT, ta, tb, tile_input);

    // The products summed over input channels: one matrix product per transformed tile value,
    // the same register tiles as a direct conv's (output channels x tiles, a broadcast per FMA).
    RDom r(0, int(in.c), li.name("r"));
    Func products(li.name("winograd_products"));
    products(c, tb, ta, tx, ty, n) = 0.0f;
    products(c, tb, ta, tx, ty, n) += u(c % block, r.x, tb, ta, c / block) * tiles(r.x, tb, ta, tx, ty, n);

    // AT M A + bias: output (x, y) is value (x % m, y % m) of tile (x / m, y / m); the schedule
    // splits x and y by m, so both are constants in each unrolled copy.
    const auto tile_products = [&](int i, int j) { return products(c, j, i, x / m, y / m, n); };
    Func conv(li.name("conv"));
    const Expr value = tile_transform(w.AT, y % m, x % m, tile_products);
    conv(c, x, y, n) = a.bias ? li.param("bias")(c) + value : value;

    LayerStages s;
    s.funcs = {tiles, products, conv};
    s.rdoms.push_back(r);
    s.output = conv;
    s.winograd_tile = m;
    s.winograd_input = tiles;
    s.winograd_products = products;
    return s;
}

}  // namespace kiln::codegen::detail
