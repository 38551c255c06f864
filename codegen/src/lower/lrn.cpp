// Local response normalization across channels (TensorFlow's formula, see dsl/lrn.hpp).
#include "lower/lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

LayerStages lower_lrn(const LayerInput& li, const LrnAttrs& a) {
    const Shape in = li.spec.in;
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    const int radius = int(a.radius), channels = int(in.c);
    Func sq(li.name("square"));
    sq(c, x, y, n) = li.in(c, x, y, n) * li.in(c, x, y, n);
    RDom r(-radius, 2 * radius + 1, li.name("r"));
    Expr cc = c + r;
    Func sum(li.name("sum"));
    sum(c, x, y, n) = 0.0f;
    sum(c, x, y, n) += select(cc >= 0 && cc < channels, sq(clamp(cc, 0, channels - 1), x, y, n), 0.0f);
    Func out(li.name("lrn"));
    out(c, x, y, n) = li.in(c, x, y, n) / pow(float(a.bias) + float(a.alpha) * sum(c, x, y, n), float(a.beta));
    LayerStages s;
    s.funcs = {sq, sum, out};
    s.rdoms = {r};
    s.output = out;
    return s;
}

}  // namespace kiln::codegen::detail
