// Dense: flatten (y, x, c) row-major and multiply by the [in][out] weight matrix.
#include "lower/lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

LayerStages lower_dense(const LayerInput& li, const DenseAttrs& a) {
    const Shape in = li.spec.in;
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    ImageParam w = li.param("weights");  // dims (unit, flat input index)
    RDom r(0, int(in.c), 0, int(in.w), 0, int(in.h), li.name("r"));
    Expr flat = r.x + int(in.c) * (r.y + int(in.w) * r.z);
    Func dense(li.name("dense"));
    dense(c, x, y, n) = a.bias ? li.param("bias")(c) : Expr(0.0f);
    dense(c, x, y, n) += w(c, flat) * li.in(r.x, r.y, r.z, n);
    LayerStages s;
    s.funcs = {dense};
    s.rdoms = {r};
    s.output = dense;
    return s;
}

}  // namespace kiln::codegen::detail
