// A 3x3 conv by Winograd's F(m x m, 3 x 3) (winograd.hpp): the input cut into tiles and
// transformed, multiplied by the prepared kernels and summed over input channels, transformed back.
#include "lower/lower_context.hpp"
#include "lower/winograd.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
// sum of coefficient x term over the nonzero coefficients: the transforms' zeros cost nothing.
Expr weighted_sum(const std::vector<std::pair<double, Expr>>& terms) {
    Expr sum;
    for (const auto& [coefficient, term] : terms) {
        if (coefficient == 0) continue;
        Expr t = coefficient == 1 ? term : coefficient == -1 ? -term : float(coefficient) * term;
        sum = sum.defined() ? sum + t : t;
    }
    return sum.defined() ? sum : Expr(0.0f);
}
}  // namespace

LayerStages lower_conv_winograd(const LayerInput& li, const ConvAttrs& a, WeightPacking packing) {
    const WinogradMatrices& w = winograd_matrices(packing.winograd_tile);
    const int m = w.m, side = w.side, block = packing.block;
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

    // BT d B, each value a sum of the tile's inputs with BT's coefficients; the schedule unrolls
    // (tile_b, tile_a), so each mux picks its one sum.
    std::vector<Expr> transformed_rows;
    for (int ra = 0; ra < side; ++ra) {
        std::vector<Expr> row;
        for (int rb = 0; rb < side; ++rb) {
            std::vector<std::pair<double, Expr>> terms;
            for (int i = 0; i < side; ++i)
                for (int j = 0; j < side; ++j)
                    if (w.BT[ra][i] != 0 && w.BT[rb][j] != 0)
                        terms.emplace_back(w.BT[ra][i] * w.BT[rb][j],
                                           input(c, tx * m + j - int(cols.begin), ty * m + i - int(rows.begin), n));
            row.push_back(weighted_sum(terms));
        }
        transformed_rows.push_back(mux(tb, row));
    }
    Func tiles(li.name("winograd_input"));
    tiles(c, tb, ta, tx, ty, n) = mux(ta, transformed_rows);

    // The products summed over input channels: one matrix product per transformed tile value,
    // the same register tiles as a direct conv's (output channels x tiles, a broadcast per FMA).
    RDom r(0, int(in.c), li.name("r"));
    Func products(li.name("winograd_products"));
    products(c, tb, ta, tx, ty, n) = 0.0f;
    products(c, tb, ta, tx, ty, n) += u(c % block, r.x, tb, ta, c / block) * tiles(r.x, tb, ta, tx, ty, n);

    // AT M A + bias: output (x, y) is value (x % m, y % m) of tile (x / m, y / m); the schedule
    // splits x and y by m, so both are constants in each unrolled copy.
    std::vector<Expr> output_rows;
    for (int oy = 0; oy < m; ++oy) {
        std::vector<Expr> row;
        for (int ox = 0; ox < m; ++ox) {
            std::vector<std::pair<double, Expr>> terms;
            for (int ra = 0; ra < side; ++ra)
                for (int rb = 0; rb < side; ++rb)
                    if (w.AT[oy][ra] != 0 && w.AT[ox][rb] != 0)
                        terms.emplace_back(w.AT[oy][ra] * w.AT[ox][rb], products(c, rb, ra, x / m, y / m, n));
            row.push_back(weighted_sum(terms));
        }
        output_rows.push_back(mux(x % m, row));
    }
    Func conv(li.name("conv"));
    Expr value = mux(y % m, output_rows);
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
