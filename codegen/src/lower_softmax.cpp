// Softmax over channels, max-subtracted so exp cannot overflow.
#include <limits>

#include "lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

LayerStages lower_softmax(const LayerInput& li, const SoftmaxAttrs&) {
    const Shape in = li.spec.in;
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    RDom r(0, int(in.c), li.name("r"));
    Func mx(li.name("max"));
    mx(x, y, n) = -std::numeric_limits<float>::infinity();
    mx(x, y, n) = max(mx(x, y, n), li.in(r, x, y, n));
    Func e(li.name("exp"));
    e(c, x, y, n) = exp(li.in(c, x, y, n) - mx(x, y, n));
    Func sum(li.name("sum"));
    sum(x, y, n) = 0.0f;
    sum(x, y, n) += e(r, x, y, n);
    Func out(li.name("softmax"));
    out(c, x, y, n) = e(c, x, y, n) / sum(x, y, n);
    LayerStages s;
    s.funcs = {mx, e, sum, out};
    s.rdoms = {r};
    s.output = out;
    return s;
}

}  // namespace kiln::codegen::detail
