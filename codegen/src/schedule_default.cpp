// The default schedule (see schedule.hpp). Not tuned: it exists so that every net runs correctly
// and not absurdly slowly under JIT.
#include "kiln/codegen/schedule.hpp"

namespace kiln::codegen {

using namespace Halide;

void schedule_default(Lowered& net, const Target& target) {
    const int vec = target.natural_vector_size<float>();
    auto root = [&](Func f) {
        // Only (c, x, y, n) Funcs are vectorized over c; the few others (softmax max/sum) stay scalar.
        const bool activation_dims = f.dimensions() == 4;
        f.compute_root();
        if (activation_dims) f.parallel(net.y).vectorize(net.c, vec, TailStrategy::GuardWithIf);
        for (int u = 0; u < f.num_update_definitions(); ++u) {
            if (activation_dims) f.update(u).parallel(net.y).vectorize(net.c, vec, TailStrategy::GuardWithIf);
        }
    };
    for (auto& layer : net.layers) {
        for (auto& f : layer.funcs)
            if (f.has_update_definition()) root(f);  // reductions: conv, pool, dense, sums
        root(layer.output);
    }
    root(net.output);
}

}  // namespace kiln::codegen
