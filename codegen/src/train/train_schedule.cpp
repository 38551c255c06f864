// The `unfused` and `fused` training schedules (train_backward.hpp): every forward and backward
// stage computed at root (`fused`: but for gradients read once, computed inside their consumer),
// each reduction register-tiled the way kiln's inference convs are. A tile keeps one or two
// vectors of the stage's fastest axis times a few values of a second axis in registers, so each
// vector loaded serves that many FMAs and each broadcast serves every vector of the tile.
#include <set>

#include "train/backward.hpp"

namespace kiln::codegen::detail {

using namespace Halide;
using Kind = TrainStage::Kind;

namespace {

struct Scheduler {
    const Target& target;
    const int vector = target.natural_vector_size<float>();
    std::set<std::string> scheduled;

    static int divisor_at_most(int extent, int most) {
        for (int d = std::min(extent, most); d > 1; --d)
            if (extent % d == 0) return d;
        return 1;
    }

    // The width of the tile along the vectorized axis: two vectors where the extent has them, one
    // where it has one, else the extent itself (a short odd vector beats scalar code).
    int lanes(int extent) const {
        if (extent >= 2 * vector) return 2 * vector;
        if (extent >= vector) return vector;
        return extent;
    }

    // f(v0, ..., v1, ...) += ... over `r` (v0 its first axis, v1 = args[axis1]): f computed per
    // tile of its wrapper, the tile's accumulators in registers, the update's loops over r outside
    // the tile; the wrapper's tiles in parallel over the tile rows and `parallel_vars`. The batch
    // axis rounds up (the training input is clamped, so a partial tile reads the last example).
    void register_tiled(Func f, const RDom& r, int axis1, int extent0, int extent1, int tile1_max, bool axis1_is_batch,
                        const std::vector<Var>& parallel_vars) {
        const std::vector<Var> args = f.args();
        const Var v0 = args[0], v1 = args[std::size_t(axis1)];
        const int w0 = lanes(extent0);
        // A tile that divides the axis wastes nothing; one much smaller than the most the registers
        // hold is worse than recomputing a ragged edge (ShiftInwards).
        int t1 = divisor_at_most(extent1, tile1_max);
        if (2 * t1 <= tile1_max) t1 = std::max(1, std::min(tile1_max, extent1));
        Func wrap = f.in();
        Var o0("o0"), i0("i0"), o1("o1"), i1("i1");
        // ShiftInwards recomputes a few values at a ragged edge instead of testing every one.
        const TailStrategy tail1 = axis1_is_batch ? TailStrategy::RoundUp : TailStrategy::ShiftInwards;
        wrap.compute_root().split(v0, o0, i0, w0, TailStrategy::ShiftInwards).split(v1, o1, i1, t1, tail1).reorder(i0, i1, o0, o1).vectorize(i0).unroll(i1);
        Var task = o1;
        for (const Var& v : parallel_vars) {
            Var fused(task.name() + "_" + v.name());
            wrap.fuse(task, v, fused);
            task = fused;
        }
        wrap.parallel(task);
        f.compute_at(wrap, o0).vectorize(v0).unroll(v1);
        std::vector<VarOrRVar> order = {v0, v1};
        for (int k = 0; k < r.dimensions(); ++k) order.push_back(r[k]);
        f.update().reorder(order).vectorize(v0).unroll(v1);
        scheduled.insert(f.name());
        scheduled.insert(wrap.name());
    }

    // dw(o, i, kx, ky) += per_example(o, i, kx, ky, example): the examples split into chunks summed in
    // parallel (rfactor); within a chunk, per example, every tile of (o by vector lanes, i by 4)
    // sums the example's (x, y) in registers, so the example's output gradient and input are
    // read from cache by every tile instead of streaming the batch once per tile.
    void conv_weight_grad(TrainStage s) {
        const std::vector<Var> a = s.f.args();
        const Var o = a[0], i = a[1], kx = a[2], ky = a[3];
        const int outputs = s.extents[0], inputs = s.extents[1], kernel_w = s.extents[2];
        // Tiles that divide their axes exactly: an update's tail would have to be guarded, and a
        // guarded tile has no constant extent to vectorize or unroll.
        const int w0 = outputs <= 2 * vector ? outputs : divisor_at_most(outputs, 2 * vector);
        const int ti = divisor_at_most(inputs, 4);
        // Few input channels (the first conv): tile kernel columns too, for enough accumulators.
        const int tk = divisor_at_most(kernel_w, std::max(1, 4 / ti));
        RVar example = s.r.x;
        RVar chunk("chunk"), in_chunk("in_chunk");
        Var u("u");
        s.f.compute_root();
        Func partial = s.f.update().split(example, chunk, in_chunk, 8).rfactor(chunk, u);
        Var oo("oo"), oi("oi"), io("io"), ii("ii"), ko("ko"), ki("ki");
        partial.compute_root().vectorize(o, w0, TailStrategy::GuardWithIf).parallel(u);
        partial.update()
            .split(o, oo, oi, w0, TailStrategy::RoundUp)
            .split(i, io, ii, ti, TailStrategy::RoundUp)
            .split(kx, ko, ki, tk, TailStrategy::RoundUp)
            .reorder(oi, ii, ki, oo, io, ko, ky, in_chunk, u)
            .vectorize(oi)
            .unroll(ii)
            .unroll(ki)
            .parallel(u);
        const std::vector<Var> ra = s.per_example.args();
        s.per_example.compute_at(partial, oo).bound_extent(ra[4], 1).store_in(MemoryType::Register).vectorize(ra[0]).unroll(ra[1]).unroll(ra[2]);
        s.per_example.update()
            .reorder(ra[0], ra[1], ra[2], s.per_example_r.x, s.per_example_r.y)
            .vectorize(ra[0])
            .unroll(ra[1])
            .unroll(ra[2]);
        s.f.update().vectorize(o, w0, TailStrategy::GuardWithIf);
        scheduled.insert(s.per_example.name());
        scheduled.insert(partial.name());
    }

    void schedule(TrainStage s) {  // a copy: Func handles share their schedule
        if (scheduled.count(s.f.name())) return;
        const std::vector<Var> a = s.f.args();
        switch (s.kind) {
        case Kind::conv: {
            // (c, x, y, n): channels by columns, parallel over rows and examples. AVX-512's 32
            // registers hold 2 x 8 accumulators and the operands; AVX2's 16, 2 x 4.
            const int columns = target.has_feature(Target::AVX512) ? 8 : 4;
            register_tiled(s.f, s.r, 1, s.extents[0], s.extents[1], columns, false, {a[2], a[3]});
            break;
        }
        case Kind::conv_weight_grad:
            conv_weight_grad(s);
            break;
        case Kind::dense:
            // (c, 0, 0, n): units by examples.
            register_tiled(s.f, s.r, 3, s.extents[0], 4, 4, true, {});
            break;
        case Kind::dense_input_grad:  // (f, n): inputs by examples
            register_tiled(s.f, s.r, 1, s.extents[0], 4, 4, true, {});
            break;
        case Kind::dense_weight_grad:  // (o, f): units by inputs
            register_tiled(s.f, s.r, 1, s.extents[0], s.extents[1], 4, false, {});
            break;
        case Kind::channel_sum: {
            // One pass over the tensor: the channel vector innermost, the reduction around it.
            s.f.compute_root().vectorize(a[0], lanes(s.extents[0]), TailStrategy::GuardWithIf);
            std::vector<VarOrRVar> order = {a[0]};
            for (int k = 0; k < s.r.dimensions(); ++k) order.push_back(s.r[k]);
            s.f.update().reorder(order).vectorize(a[0], lanes(s.extents[0]), TailStrategy::GuardWithIf);
            break;
        }
        case Kind::materialized:
            s.f.compute_root().vectorize(a[0], lanes(s.extents[0]), TailStrategy::GuardWithIf).parallel(a.back());
            break;
        case Kind::transpose:
            s.f.compute_root().parallel(a.back());
            break;
        }
        scheduled.insert(s.f.name());
    }

};

}  // namespace

void schedule_training(TrainGraph& graph, const std::vector<Func>& outputs, const Target& target, bool fused) {
    Scheduler s{target};
    for (const auto& stage : graph.stages) {
        if (fused && stage.read_once) continue;  // inlined into its one consumer
        s.schedule(stage);
    }

    // Whatever else has an update (autodiff's adjoints, batch norm's sums) at root: left
    // unscheduled, Halide would compute it inside its consumer's innermost loop.
    for (const Func& out : outputs) {
        for (const auto& [name, function] : Internal::find_transitive_calls(out.function())) {
            if (s.scheduled.count(name) || !function.has_update_definition()) continue;
            bool is_output = false;
            for (const Func& o : outputs) is_output |= o.name() == name;
            if (!is_output) Func(function).compute_root();
            s.scheduled.insert(name);
        }
    }
}

}  // namespace kiln::codegen::detail
