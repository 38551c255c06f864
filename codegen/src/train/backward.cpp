// See train_backward.hpp. The algorithm only: train_schedule.cpp places the stages.
#include "train/backward.hpp"

#include "kiln/codegen/training_form.hpp"
#include "kiln/dsl/overloaded.hpp"
#include "kiln/runtime/error.hpp"
#include "train/loss.hpp"

namespace kiln::codegen::detail {

using namespace Halide;
using Kind = TrainStage::Kind;

namespace {

const LayerStages& stages_of(const Lowered& net, const LayerSpec& spec) {
    for (const auto& L : net.layers)
        if (L.spec == &spec) return L;
    throw std::logic_error("kiln: no lowered stages for layer " + spec.path);
}

struct Builder {
    Lowered& net;
    TrainGraph& graph;
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    Expr batch = net.input.dim(3).extent();
    Func last_d_in;  // the input gradient backward() made last, before its bounds

    void stage(Kind kind, Func f, std::vector<int> extents, RDom r = RDom()) { graph.stages.push_back({kind, f, std::move(extents), r}); }
    // The extents of a (c, x, y, n) stage of shape `s`.
    static std::vector<int> extents_of(Shape s) { return {int(s.c), int(s.w), int(s.h), 0}; }

    // `f` materialized under a name of its own, so the schedule can place it.
    Func materialize(const std::string& name, Func f, Shape s) {
        Func m(name);
        m(c, x, y, n) = f(c, x, y, n);
        stage(Kind::materialized, m, extents_of(s));
        return m;
    }

    void param_gradient(const std::string& name, Func g) { graph.gradients[name] = g; }

    // Halide's autodiff of one layer, given its output's gradient.
    Func autodiff_layer(const LayerStages& L, Func in, Func d_out, bool need_input) {
        const Shape out = L.spec->out;
        // Halide 14's propagate_adjoints documents {min, extent} but differentiates over [min, min +
        // extent], one more in every dimension: harmless where d_out is zero outside its shape, but a
        // scatter (a grouped conv's input, read at c / group * group + i) then read the weights of
        // output channel `filters`, past their end. Extents are passed less one.
        const Region bounds = {{0, int(out.c) - 1}, {0, int(out.w) - 1}, {0, int(out.h) - 1}, {0, batch - 1}};
        Derivative d = [&] {
            try {
                return propagate_adjoints(L.output, d_out, bounds);
            } catch (const Halide::Error& e) {
                throw Error("training: Halide could not differentiate layer " + L.spec->path + ": " + e.what());
            }
        }();
        std::vector<ParamSpec> params;
        collect_params({*L.spec}, params);
        for (const auto& p : params)
            if (p.learned) param_gradient(p.name, d(Func(net.params.at(p.name))));
        if (!need_input) return Func();
        return materialize(L.spec->name + "_d_in", d(in), L.spec->in);
    }

    Func conv_backward(const LayerStages& L, const ConvAttrs& a, Func in, Func d_out, bool need_input) {
        const Shape sin = L.spec->in, sout = L.spec->out;
        const std::string name = L.spec->name;
        const Pads rows = a.rows(sin), cols = a.cols(sin);
        ImageParam w = net.params.at(name + ".weights");  // dims (o, i, kx, ky)
        const int kw = int(a.kernel.w), kh = int(a.kernel.h);
        // The forward conv reads weight column kx(t) at tap t: t, or kw - 1 - t when flipped.
        auto kernel_x = [&](Expr t) { return a.flip ? Expr(kw - 1) - t : t; };
        auto kernel_y = [&](Expr t) { return a.flip ? Expr(kh - 1) - t : t; };
        Var o("o"), i("i"), kx("kx"), ky("ky");

        // Weight gradient: the input at every position the weight met, times the output gradient;
        // summed one example at a time (`per_example`), so a schedule can keep an example's partial sums
        // in registers while its gradient and input stay in cache, then over the examples.
        Func in_padded = L.padded_input.defined() ? L.padded_input : in;  // materialized by the forward pass
        Expr tx = kernel_x(kx), ty = kernel_y(ky);  // flipping is its own inverse
        Var example("example");
        RDom rxy(0, int(sout.w), 0, int(sout.h), name + "_r_wgrad_xy");
        Func dw_example(name + "_dweights_example");
        dw_example(o, i, kx, ky, example) = 0.0f;
        dw_example(o, i, kx, ky, example) +=
            d_out(o, rxy.x, rxy.y, example) * in_padded(i, rxy.x * int(a.stride.w) + tx * int(a.dilation.w) - int(cols.begin),
                                                        rxy.y * int(a.stride.h) + ty * int(a.dilation.h) - int(rows.begin), example);
        RDom r(0, batch, name + "_r_wgrad");
        Func dw(name + "_dweights");
        dw(o, i, kx, ky) = 0.0f;
        dw(o, i, kx, ky) += dw_example(o, i, kx, ky, r);
        graph.stages.push_back({Kind::conv_weight_grad, dw, {int(sout.c), int(sin.c), kw, kh}, r, dw_example, rxy});
        param_gradient(name + ".weights", dw);
        RDom rall(0, int(sout.w), 0, int(sout.h), 0, batch, name + "_r_bias");
        if (a.bias) {
            Func db(name + "_dbias");
            db(o) = 0.0f;
            db(o) += d_out(o, rall.x, rall.y, rall.z);
            stage(Kind::channel_sum, db, {int(sout.c)}, rall);
            param_gradient(name + ".bias", db);
        }
        if (!need_input) return Func();

        // Input gradient: a full-padded true convolution of the output gradient with the kernel
        // transposed, each tap's weights where the forward conv read them.
        Func wt(name + "_weights_t");
        Var t("t"), u("u");
        wt(i, o, t, u) = w(o, i, kernel_x(t), kernel_y(u));
        stage(Kind::transpose, wt, {int(sin.c), int(sout.c), kw, kh});
        // d_out is zero outside its shape (backward()), so a copy over the region read is the padding.
        Func g_padded = materialize(name + "_grad_padded", d_out, sout);
        RDom q(0, int(sout.c), 0, kw, 0, kh, name + "_r_dgrad");
        Func d_in(name + "_d_in");
        d_in(c, x, y, n) = 0.0f;
        d_in(c, x, y, n) += wt(c, q.x, q.y, q.z) * g_padded(q.x, x - q.y + int(cols.begin), y - q.z + int(rows.begin), n);
        stage(Kind::conv, d_in, extents_of(sin), q);
        return d_in;
    }

    Func dense_backward(const LayerStages& L, const DenseAttrs& a, Func in, Func d_out, bool need_input) {
        const Shape sin = L.spec->in;
        const std::string name = L.spec->name;
        const int units = int(a.units), flat = int(sin.elements());
        ImageParam w = net.params.at(name + ".weights");  // dims (unit, flat input index)
        Var o("o"), f("f");
        // The input flattened as the forward layer reads it: (y, x, c) row-major.
        Func in_flat(name + "_in_flat");
        in_flat(f, n) = in(f % int(sin.c), f / int(sin.c) % int(sin.w), f / int(sin.c * sin.w), n);
        RDom rb(0, batch, name + "_r_batch");
        Func dw(name + "_dweights");
        dw(o, f) = 0.0f;
        dw(o, f) += d_out(o, 0, 0, rb) * in_flat(f, rb);
        stage(Kind::dense_weight_grad, dw, {units, flat}, rb);
        param_gradient(name + ".weights", dw);
        if (a.bias) {
            Func db(name + "_dbias");
            db(o) = 0.0f;
            db(o) += d_out(o, 0, 0, rb);
            stage(Kind::channel_sum, db, {units}, rb);
            param_gradient(name + ".bias", db);
        }
        if (!need_input) return Func();
        Func wt(name + "_weights_t");
        wt(f, o) = w(o, f);
        stage(Kind::transpose, wt, {flat, units});
        RDom ro(0, units, name + "_r_units");
        Func d_flat(name + "_d_flat");
        d_flat(f, n) = 0.0f;
        d_flat(f, n) += wt(f, ro) * d_out(ro, 0, 0, n);
        stage(Kind::dense_input_grad, d_flat, {flat, 0}, ro);
        Func d_in(name + "_d_in");
        d_in(c, x, y, n) = d_flat(c + int(sin.c) * (x + int(sin.w) * y), n);
        return d_in;
    }

    Func relu_backward(const LayerStages& L, Func in, Func d_out) {
        Func d_in(L.spec->name + "_d_in");
        d_in(c, x, y, n) = select(in(c, x, y, n) > 0.0f, d_out(c, x, y, n), 0.0f);
        stage(Kind::materialized, d_in, extents_of(L.spec->in));
        return d_in;
    }

    // Halide's autodiff cannot differentiate a max reduction; every cell equal to its channel's
    // maximum gets the gradient (all tied cells, as for max_pool_backward).
    Func global_max_pool_backward(const LayerStages& L, Func in, Func d_out) {
        Func d_in(L.spec->name + "_d_in");
        d_in(c, x, y, n) = select(in(c, x, y, n) == L.output(c, 0, 0, n), d_out(c, 0, 0, n), 0.0f);
        stage(Kind::materialized, d_in, extents_of(L.spec->in));
        return d_in;
    }

    // Every tap equal to its window's maximum gets the window's gradient (all tied taps, as
    // Halide's autodiff does); an input cell gathers from the windows that cover it, at most
    // ceil(window / stride) per axis.
    Func max_pool_backward(const LayerStages& L, const PoolAttrs& a, Func in, Func d_out) {
        const Shape sin = L.spec->in, sout = L.spec->out;
        const Pads rows = a.rows(sin), cols = a.cols(sin);
        const int sx = int(a.stride.w), sy = int(a.stride.h), kx = int(a.window.w), ky = int(a.window.h);
        // The last window starting at or before the cell, then the ones before it.
        Expr last_x = (x + int(cols.begin)) / sx, last_y = (y + int(rows.begin)) / sy;
        Expr value = in(c, x, y, n), sum = 0.0f;
        for (int j = 0; j < (ky + sy - 1) / sy; ++j)
            for (int i = 0; i < (kx + sx - 1) / sx; ++i) {
                Expr px = last_x - i, py = last_y - j;
                Expr covers = px >= 0 && px < int(sout.w) && py >= 0 && py < int(sout.h) && px * sx - int(cols.begin) + kx > x &&
                              py * sy - int(rows.begin) + ky > y;
                Expr cx = clamp(px, 0, int(sout.w) - 1), cy = clamp(py, 0, int(sout.h) - 1);
                sum += select(covers && value == L.output(c, cx, cy, n), d_out(c, cx, cy, n), 0.0f);
            }
        Func d_in(L.spec->name + "_d_in");
        d_in(c, x, y, n) = sum;
        stage(Kind::materialized, d_in, extents_of(sin));
        return d_in;
    }

    // Batch norm on batch statistics, with x^ = (x - mean) / sqrt(var + eps) and M values per channel:
    //   d beta = sum d_out,  d gamma = sum d_out * x^,
    //   d_in = gamma / sqrt(var + eps) * (d_out - (d beta + x^ * d gamma) / M).
    Func batch_norm_backward(const LayerStages& L, Func in, Func d_out, bool need_input) {
        const LayerSpec& s = *L.spec;
        const Func mean = L.funcs.at(1), variance = L.funcs.at(3);
        ImageParam gamma = net.params.at(s.name + ".gamma");
        Func inv_std(s.name + "_inv_std"), normalized(s.name + "_normalized");
        inv_std(c) = 1.0f / sqrt(variance(c) + batch_norm_epsilon);
        normalized(c, x, y, n) = (in(c, x, y, n) - mean(c)) * inv_std(c);
        RDom r(0, int(s.in.w), 0, int(s.in.h), 0, batch, s.name + "_r_grad");
        Func dbeta(s.name + "_dbeta"), dgamma(s.name + "_dgamma");
        dbeta(c) = 0.0f;
        dbeta(c) += d_out(c, r.x, r.y, r.z);
        dgamma(c) = 0.0f;
        dgamma(c) += d_out(c, r.x, r.y, r.z) * normalized(c, r.x, r.y, r.z);
        stage(Kind::channel_sum, dbeta, {int(s.in.c)}, r);
        stage(Kind::channel_sum, dgamma, {int(s.in.c)}, r);
        param_gradient(s.name + ".beta", dbeta);
        param_gradient(s.name + ".gamma", dgamma);
        if (!need_input) return Func();
        Expr count = cast<float>(batch * int(s.in.w * s.in.h));
        Func d_in(s.name + "_d_in");
        d_in(c, x, y, n) = gamma(c) * inv_std(c) * (d_out(c, x, y, n) - (dbeta(c) + normalized(c, x, y, n) * dgamma(c)) / count);
        stage(Kind::materialized, d_in, extents_of(s.in));
        return d_in;
    }

    // Inverted dropout: the gradient times the step's mask (kept: 1 / (1 - rate); dropped: 0).
    Func dropout_backward(const LayerStages& L, Func d_out) {
        const Func mask = L.funcs.at(0);
        Func d_in(L.spec->name + "_d_in");
        d_in(c, x, y, n) = d_out(c, x, y, n) * mask(c, x, y, n);
        stage(Kind::materialized, d_in, extents_of(L.spec->in));
        return d_in;
    }

    // The layer's input gradient (undefined when !need_input), zero outside the input's shape so
    // that no stage reading it past an edge (a window's padding) pulls other stages out of bounds;
    // its tensors' gradients into `graph`.
    Func backward(const LayerStages& L, Func in, Func d_out, bool need_input) {
        Func d_in = layer_backward(L, in, d_out, need_input);
        last_d_in = d_in;
        if (!d_in.defined()) return d_in;
        const Shape s = L.spec->in;
        return bounded(d_in, s);
    }

    // Zero outside the tensor's shape and the batch: the rounded-up batch tiles compute examples
    // past the last, whose gradients must not reach a sum over the batch.
    Func bounded(Func f, Shape s) {
        return BoundaryConditions::constant_exterior(f, 0.0f, {{0, int(s.c)}, {0, int(s.w)}, {0, int(s.h)}, {0, batch}});
    }

    Func layer_backward(const LayerStages& L, Func in, Func d_out, bool need_input) {
        const LayerSpec& s = *L.spec;
        return std::visit(
            overloaded{
                [&](const ConvAttrs& a) {
                    if (a.stride.w == 1 && a.stride.h == 1 && a.dilation.w == 1 && a.dilation.h == 1 && a.groups == 1)
                        return conv_backward(L, a, in, d_out, need_input);
                    return autodiff_layer(L, in, d_out, need_input);
                },
                [&](const DenseAttrs& a) { return dense_backward(L, a, in, d_out, need_input); },
                [&](const ActivationAttrs& a) {
                    if (a.function == ActivationFunction::relu) return need_input ? relu_backward(L, in, d_out) : Func();
                    return autodiff_layer(L, in, d_out, need_input);
                },
                [&](const PoolAttrs& a) {
                    // The gather is written out window by window: up to 25 candidate windows per cell.
                    if (gathers_max_pool(s))
                        return need_input ? max_pool_backward(L, a, in, d_out) : Func();
                    return autodiff_layer(L, in, d_out, need_input);
                },
                [&](const GlobalMaxPoolAttrs&) { return need_input ? global_max_pool_backward(L, in, d_out) : Func(); },
                [&](const BatchNormAttrs&) { return batch_norm_backward(L, in, d_out, need_input); },
                [&](const DropoutAttrs&) {
                    if (!need_input) return Func();
                    return L.funcs.size() == 2 ? dropout_backward(L, d_out) : d_out;  // one stage: the identity (rate 0)
                },
                [&](const ResidualAttrs&) {
                    Func body = chain_backward(s.children.at(0), in, d_out, need_input);
                    Func shortcut = chain_backward(s.children.at(1), in, d_out, need_input);
                    if (!need_input) return Func();
                    Func sum(s.name + "_d_in");
                    sum(c, x, y, n) = body(c, x, y, n) + shortcut(c, x, y, n);
                    stage(Kind::materialized, sum, extents_of(s.in));
                    return sum;
                },
                [&](const ConcatAttrs&) {
                    // Each branch gets its channels' slice of the gradient; their input gradients add up.
                    Expr sum;
                    int begin = 0;
                    for (const auto& branch : s.children) {
                        const int channels = int(branch.empty() ? s.in.c : branch.back().out.c);
                        Func slice(s.name + "_slice" + std::to_string(begin));
                        slice(c, x, y, n) = d_out(c + begin, x, y, n);
                        Func d = chain_backward(branch, in, bounded(slice, Shape{s.out.h, s.out.w, extent_t(channels)}), need_input);
                        if (need_input) sum = sum.defined() ? sum + d(c, x, y, n) : d(c, x, y, n);
                        begin += channels;
                    }
                    if (!need_input) return Func();
                    Func d_in(s.name + "_d_in");
                    d_in(c, x, y, n) = sum;
                    stage(Kind::materialized, d_in, extents_of(s.in));
                    return d_in;
                },
                [&](const auto&) { return autodiff_layer(L, in, d_out, need_input); }},
            s.attrs);
    }

    // A max pool whose gradient max_pool_backward gathers by comparing each input with its window's
    // maximum: equality holds only if the pool and the gather read the same floats. An input that
    // is arithmetic inlined into both (batch norm's normalization before a ReLU) may round
    // differently in each loop (FMA contraction), and then no tap matched: `fused` lost batch
    // norm's gradients that way. Such an input is stored once and read by both.
    static bool gathers_max_pool(const LayerSpec& l) {
        const auto* a = std::get_if<PoolAttrs>(&l.attrs);
        // Adjacent taps only: a dilated window's gradients go through autodiff.
        return a && a->function == PoolFunction::max && a->dilation.h == 1 && a->dilation.w == 1 &&
               (a->window.w + a->stride.w - 1) / a->stride.w * ((a->window.h + a->stride.h - 1) / a->stride.h) <= 25;
    }
    // Whether layers[k]'s output is a stored stage, or a ReLU (max, no rounding) of one.
    static bool stored_exactly(const std::vector<LayerSpec>& layers, std::size_t k) {
        const auto stored = [](const LayerSpec& l) {
            return std::holds_alternative<ConvAttrs>(l.attrs) || std::holds_alternative<DenseAttrs>(l.attrs) ||
                   std::holds_alternative<PoolAttrs>(l.attrs);
        };
        if (stored(layers[k])) return true;
        const auto* a = std::get_if<ActivationAttrs>(&layers[k].attrs);
        return a && a->function == ActivationFunction::relu && k > 0 && stored(layers[k - 1]);
    }
    bool is_staged(const Func& f) const {
        for (const auto& st : graph.stages)
            if (st.f.function().same_as(f.function())) return true;
        return false;
    }

    // Layers whose adjoint reads each value of their output's gradient once, at the same index.
    static bool reads_gradient_once(const LayerSpec& l) {
        if (const auto* a = std::get_if<ActivationAttrs>(&l.attrs)) return a->function == ActivationFunction::relu;
        return std::holds_alternative<DropoutAttrs>(l.attrs);
    }

    // Back through the first `count` layers of a chain (the net's, a branch, a residual body) from
    // the gradient of the last one's output; an empty chain passes the gradient through.
    Func chain_backward(const std::vector<LayerSpec>& layers, Func in, Func d_out, bool need_input) {
        return chain_backward(layers, layers.size(), in, d_out, need_input);
    }
    Func chain_backward(const std::vector<LayerSpec>& layers, std::size_t count, Func in, Func d_out, bool need_input) {
        for (std::size_t k = count; k-- > 0;) {
            Func layer_in = k == 0 ? in : stages_of(net, layers[k - 1]).output;
            if (k > 0 && gathers_max_pool(layers[k]) && !stored_exactly(layers, k - 1) && !is_staged(layer_in))
                stage(Kind::materialized, layer_in, extents_of(layers[k].in));
            d_out = backward(stages_of(net, layers[k]), layer_in, d_out, k > 0 || need_input);
            if (k > 0 && reads_gradient_once(layers[k - 1]) && last_d_in.defined())
                for (auto& st : graph.stages)
                    if (st.kind == Kind::materialized && st.f.function().same_as(last_d_in.function())) st.read_once = true;
        }
        return d_out;
    }
};

}  // namespace

TrainGraph build_kiln_backward(Lowered& net, const Func& logits, const ImageParam& labels, int classes, float label_smoothing) {
    TrainGraph graph;
    Builder b{net, graph};
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;

    // The forward stages that are convolutions and matrix products, register-tiled like the backward ones.
    for (const auto& L : net.layers) {
        if (const auto* a = std::get_if<ConvAttrs>(&L.spec->attrs)) {
            b.stage(Kind::conv, L.output, Builder::extents_of(L.spec->out), L.rdoms.at(0));
            if (L.padded_input.defined()) b.stage(Kind::materialized, L.padded_input, Builder::extents_of(L.spec->in));
        } else if (std::holds_alternative<DenseAttrs>(L.spec->attrs)) {
            b.stage(Kind::dense, L.output, Builder::extents_of(L.spec->out), L.rdoms.at(0));
        } else if (std::holds_alternative<PoolAttrs>(L.spec->attrs)) {
            b.stage(Kind::materialized, L.output, Builder::extents_of(L.spec->out));
        } else if (std::holds_alternative<BatchNormAttrs>(L.spec->attrs)) {
            // The batch's sum and sum of squares.
            b.stage(Kind::channel_sum, L.funcs.at(0), {int(L.spec->in.c)}, L.rdoms.at(0));
            b.stage(Kind::channel_sum, L.funcs.at(2), {int(L.spec->in.c)}, L.rdoms.at(0));
        }
    }

    // Softmax cross-entropy (the definition the autodiff pipeline differentiates), and its
    // gradient over the logits.
    const SoftmaxCrossEntropy loss = softmax_cross_entropy(logits, labels, classes, label_smoothing);
    graph.loss = loss.loss;
    Expr batch = cast<float>(b.batch);
    Func d_logits("loss_d_logits");
    d_logits(c, x, y, n) =
        (exp(logits(c, 0, 0, n) - loss.row_max(n)) / loss.sum_exp(n) - loss.target(c, n, classes)) / batch;
    const Shape logits_shape{1, 1, extent_t(classes)};
    b.stage(Kind::materialized, d_logits, Builder::extents_of(logits_shape));

    // Back through the layers before the Softmax, last first.
    const auto& layers = net.spec.layers;
    b.chain_backward(layers, layers.size() - 1, net.input_values, b.bounded(d_logits, logits_shape), /*need_input=*/false);
    return graph;
}

}  // namespace kiln::codegen::detail
