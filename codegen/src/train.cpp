// See train.hpp.
#include "kiln/codegen/train.hpp"

#include <functional>
#include <optional>
#include <thread>

#include "autoschedule.hpp"
#include "buffer_views.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/dsl/signature.hpp"
#include "lower_loss.hpp"

namespace kiln::codegen {

using namespace Halide;

namespace {

// Layers whose training form is not built: refused by name, with the reason.
void require_trainable(const std::vector<LayerSpec>& layers) {
    for (const auto& l : layers) {
        if (std::holds_alternative<DropoutAttrs>(l.attrs))
            throw Error("training: layer " + l.path + " (dropout) is not trainable yet: its training mode (a random mask) is not built");
        if (std::holds_alternative<BatchNormAttrs>(l.attrs))
            throw Error("training: layer " + l.path +
                        " (batch norm) is not trainable yet: its training mode (batch statistics) is not built");
        for (const auto& branch : l.children) require_trainable(branch);
    }
}

Target train_target(const TrainOptions& o) {
    Target t = o.target.empty() ? get_jit_target_from_environment() : resolve_target(o.target);
    if (t.has_gpu_feature()) throw Error("training runs on the CPU only for now; '" + t.to_string() + "' names a GPU");
    return runnable_here(t);
}

}  // namespace

struct TrainNet::Impl {
    TrainOptions options;
    Lowered net;
    std::string signature;
    std::vector<ParamSpec> params;
    ImageParam labels{Int(32), 1, "labels"};
    mutable Pipeline pipeline;  // a handle; realize() is not const
    Target target;
    std::optional<OptimizerState> state;
};

TrainNet::TrainNet(const NetSpec& spec, TrainOptions options) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.options = options;
    if (options.batch_estimate < 1) throw Error("TrainOptions::batch_estimate must be at least 1");
    if (!detail::is_autoscheduler(options.schedule))
        throw Error("training schedule '" + options.schedule + "' is not one of " + detail::autoschedulers);
    require_trainable(spec.layers);
    if (spec.layers.empty() || !std::holds_alternative<SoftmaxAttrs>(spec.layers.back().attrs) || spec.layers.size() < 2)
        throw Error("training: the net must end in Softmax (the loss is softmax cross-entropy over its input)");
    if (spec.output.h != 1 || spec.output.w != 1)
        throw Error("training: the net's output must be 1x1xclasses, not " + Tensor::shape_string(spec.output));
    m.target = train_target(options);
    m.net = lower(spec, options.batch_estimate, 0, /*differentiable=*/true);
    m.signature = net_signature(spec);
    m.params = all_params(spec);

    // The logits: the output of the top-level layer before the softmax.
    const LayerSpec* before = &m.net.spec.layers[m.net.spec.layers.size() - 2];
    Func logits;
    for (const auto& l : m.net.layers)
        if (l.spec == before) logits = l.output;
    if (!logits.defined()) throw std::logic_error("kiln: training found no stage for the layer before the softmax");
    const int classes = int(spec.output.c);
    Func loss = detail::softmax_cross_entropy(logits, m.labels, classes);
    m.labels.set_estimates({{0, options.batch_estimate}});

    // Reverse-mode autodiff of the loss through the forward algorithm.
    Derivative d = [&] {
        try {
            return propagate_adjoints(loss);
        } catch (const Halide::Error& e) {
            throw Error(std::string("training: Halide could not differentiate the net: ") + e.what());
        }
    }();
    std::vector<Func> outputs = {loss};
    for (const auto& p : m.params) {
        const ImageParam& ip = m.net.params.at(p.name);
        Func adjoint = d(Func(ip));
        std::vector<Var> vars;
        for (std::size_t i = 0; i < p.dims.size(); ++i) vars.emplace_back("g" + std::to_string(i));
        std::vector<Expr> args(vars.begin(), vars.end());
        Func grad(halide_name(p.name) + "_grad");
        grad(vars) = adjoint.defined() ? adjoint(args) : Expr(0.0f);  // a tensor the loss never reads: zero
        for (std::size_t i = 0; i < vars.size(); ++i) grad.set_estimate(vars[i], 0, int(p.dims[i]));
        outputs.push_back(grad);
    }
    m.pipeline = Pipeline(outputs);
    detail::autoschedule(m.pipeline, m.target, options.schedule, int(std::max(1u, std::thread::hardware_concurrency())));
    try {
        m.pipeline.compile_jit(m.target);
    } catch (const Halide::Error& e) {
        throw Error(std::string("training: Halide could not compile the training pipeline: ") + e.what());
    }
}

TrainNet::TrainNet(TrainNet&&) noexcept = default;
TrainNet& TrainNet::operator=(TrainNet&&) noexcept = default;
TrainNet::~TrainNet() = default;

const NetSpec& TrainNet::spec() const { return impl_->net.spec; }
const TrainOptions& TrainNet::options() const { return impl_->options; }

float TrainNet::gradients(const Tensor& images, const std::vector<int>& labels, const Weights& weights, Weights& gradients) const {
    const Impl& m = *impl_;
    require_shape(images, m.net.spec.input, "the training images");
    if (labels.size() != std::size_t(images.batch()))
        throw Error("a training batch of " + std::to_string(images.batch()) + " images has " + std::to_string(labels.size()) + " labels");
    const int classes = int(m.net.spec.output.c);
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= classes)
            throw Error("label " + std::to_string(labels[i]) + " of example " + std::to_string(i) + " is not one of the net's " +
                        std::to_string(classes) + " classes");
    weights.require_fits(m.signature, m.params, "the training net");
    if (gradients.specs().size() != m.params.size()) gradients = Weights(m.params, m.signature);
    gradients.require_fits(m.signature, m.params, "the gradients");

    ParamMap map;
    Buffer<float> in = detail::tensor_view(images);
    map.set(m.net.input, in);
    Buffer<int> label_buffer(const_cast<int*>(labels.data()), int(labels.size()));
    map.set(m.labels, label_buffer);
    std::vector<Buffer<float>> held;
    held.reserve(m.params.size());
    for (const auto& p : m.params) {
        held.push_back(detail::param_view(weights[p.name], p));
        map.set(m.net.params.at(p.name), held.back());
    }
    Buffer<float> loss = Buffer<float>::make_scalar();
    std::vector<Buffer<>> outputs = {loss};
    for (const auto& p : m.params) outputs.push_back(detail::param_view(gradients[p.name], p));
    try {
        Realization r(outputs);
        m.pipeline.realize(r, m.target, map);
    } catch (const Halide::Error& e) {
        throw Error(std::string("the training pipeline failed: ") + e.what());
    }
    return loss();
}

float TrainNet::step(const Tensor& images, const std::vector<int>& labels, Weights& weights) {
    Impl& m = *impl_;
    Weights grads;
    const float loss = gradients(images, labels, weights, grads);
    if (!m.state) m.state.emplace(m.options.optimizer, weights);
    m.state->apply(weights, grads, m.options.total_steps);
    return loss;
}

OptimizerState& TrainNet::state() {
    if (!impl_->state) throw Error("no optimizer state yet: step() makes it, or load one from a checkpoint");
    return *impl_->state;
}
const OptimizerState& TrainNet::state() const { return const_cast<TrainNet*>(this)->state(); }

void TrainNet::restore(OptimizerState state) {
    if (state.optimizer().kind != impl_->options.optimizer.kind) throw Error("the saved optimizer state is for another optimizer");
    impl_->state = std::move(state);
}

}  // namespace kiln::codegen
