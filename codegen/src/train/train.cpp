// See train.hpp.
#include "kiln/codegen/train.hpp"

#include <functional>
#include <optional>
#include <cstdlib>
#include <thread>

#include "schedule/autoschedule.hpp"
#include "compile/buffer_views.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/dsl/signature.hpp"
#include "kiln/codegen/training_form.hpp"
#include "jit/host_allocator.hpp"
#include "jit/parallel_loops.hpp"
#include "train/loss.hpp"
#include "train/backward.hpp"

namespace kiln::codegen {

using namespace Halide;

namespace {

// kiln's own backward pass, or Halide's autodiff under a CPU autoscheduler.
bool trains(const ScheduleTraits& t) { return t.kiln_backward || (t.autoscheduled && !t.needs_gpu); }

Target train_target(const TrainOptions& o) {
    Target t = o.target.empty() ? get_jit_target_from_environment() : resolve_target(o.target);
    if (t.has_gpu_feature()) throw Error("training runs on the CPU only for now; '" + t.to_string() + "' names a GPU");
    // KILN_TRAIN_PROFILE=1: Halide's profiler, which prints each stage's share of the time at exit.
    if (std::getenv("KILN_TRAIN_PROFILE")) t.set_feature(Target::Profile);
    return runnable_here(t);
}

}  // namespace

struct TrainNet::Impl {
    TrainOptions options;
    NetSpec inference_spec;
    Lowered net;  // of the training form
    std::string signature;
    std::vector<ParamSpec> params;   // every tensor of the training form
    std::vector<ParamSpec> learned;  // those trained by gradient
    ImageParam labels{Int(32), 1, "labels"};
    mutable Pipeline pipeline;  // a handle; realize() is not const
    Target target;
    std::optional<OptimizerState> state;
    std::vector<int> predictions;  // of the last step's forward pass
    std::unique_ptr<detail::PooledContext> allocations = std::make_unique<detail::PooledContext>();
};

// What one run of the training pipeline gives besides the loss and the gradients.
struct TrainNet::Extras {
    std::vector<Buffer<float>> statistics;  // mean, variance per batch norm layer
    Buffer<float> logits;
};

TrainNet::TrainNet(const NetSpec& spec, TrainOptions options) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.options = options;
    if (options.batch_estimate < 1) throw Error("TrainOptions::batch_estimate must be at least 1");
    if (!(options.label_smoothing >= 0 && options.label_smoothing <= 1))
        throw Error("TrainOptions::label_smoothing must be in [0, 1], not " + std::to_string(options.label_smoothing));
    const ScheduleTraits& schedule = schedule_traits(options.schedule);
    const bool kiln_backward = schedule.kiln_backward;
    if (!trains(schedule))
        throw Error("training schedule '" + options.schedule + "' is not one of " + comma_separated(schedule_names(trains)));
    if (spec.layers.empty() || !std::holds_alternative<SoftmaxAttrs>(spec.layers.back().attrs) || spec.layers.size() < 2)
        throw Error("training: the net must end in Softmax (the loss is softmax cross-entropy over its input)");
    if (spec.output.h != 1 || spec.output.w != 1)
        throw Error("training: the net's output must be 1x1xclasses, not " + Tensor::shape_string(spec.output));
    m.target = train_target(options);
    m.inference_spec = spec;
    m.net = lower(training_form(spec), options.batch_estimate, 0, /*training=*/true);
    m.signature = net_signature(m.net.spec);
    m.params = all_params(m.net.spec);
    for (const auto& p : m.params)
        if (p.learned) m.learned.push_back(p);

    // The logits: the output of the top-level layer before the softmax.
    const LayerSpec* before = &m.net.spec.layers[m.net.spec.layers.size() - 2];
    Func logits;
    for (const auto& l : m.net.layers)
        if (l.spec == before) logits = l.output;
    if (!logits.defined()) throw std::logic_error("kiln: training found no stage for the layer before the softmax");
    const int classes = int(spec.output.c);
    m.labels.set_estimates({{0, options.batch_estimate}});
    // The gradient of each learned tensor: kiln's backward pass (train_backward.hpp), or Halide's
    // reverse-mode autodiff of the whole forward algorithm for the autoschedulers.
    Func loss;
    std::map<std::string, Func> adjoints;
    detail::TrainGraph graph;
    if (kiln_backward) {
        graph = detail::build_kiln_backward(m.net, logits, m.labels, classes, options.label_smoothing);
        loss = graph.loss;
        adjoints = graph.gradients;
    } else {
        loss = detail::softmax_cross_entropy(logits, m.labels, classes, options.label_smoothing).loss;
        Derivative d = [&] {
            try {
                return propagate_adjoints(loss);
            } catch (const Halide::Error& e) {
                throw Error(std::string("training: Halide could not differentiate the net: ") + e.what());
            }
        }();
        for (const auto& p : m.learned) adjoints[p.name] = d(Func(m.net.params.at(p.name)));
    }
    Func logits_out("logits");
    logits_out(m.net.c, m.net.n) = logits(m.net.c, 0, 0, m.net.n);
    logits_out.set_estimate(m.net.c, 0, classes).set_estimate(m.net.n, 0, options.batch_estimate);
    std::vector<Func> outputs = {loss, logits_out};
    for (const auto& p : m.learned) {
        Func adjoint = adjoints.count(p.name) ? adjoints.at(p.name) : Func();
        std::vector<Var> vars;
        for (std::size_t i = 0; i < p.dims.size(); ++i) vars.emplace_back("g" + std::to_string(i));
        std::vector<Expr> args(vars.begin(), vars.end());
        Func grad(halide_name(p.name) + "_grad");
        grad(vars) = adjoint.defined() ? adjoint(args) : Expr(0.0f);  // a tensor the loss never reads: zero
        for (std::size_t i = 0; i < vars.size(); ++i) grad.set_estimate(vars[i], 0, int(p.dims[i]));
        outputs.push_back(grad);
    }
    for (const auto& stats : m.net.batch_statistics)
        for (Func f : {stats.mean, stats.variance}) {
            f.set_estimate(f.args()[0], 0, stats.channels);
            outputs.push_back(f);
        }
    m.pipeline = Pipeline(outputs);
    if (kiln_backward)
        detail::schedule_training(graph, outputs, m.target, schedule_traits(options.schedule).fuses);
    else
        detail::autoschedule(m.pipeline, m.target, options.schedule, int(std::max(1u, std::thread::hardware_concurrency())));
    detail::run_parallel_loops_on_kiln_pool(m.pipeline);
    try {
        if (std::getenv("KILN_TRAIN_LOOPS")) m.pipeline.print_loop_nest();
        m.pipeline.compile_jit(m.target);
    } catch (const Halide::Error& e) {
        throw Error(std::string("training: Halide could not compile the training pipeline: ") + e.what());
    }
}

TrainNet::TrainNet(TrainNet&&) noexcept = default;
TrainNet& TrainNet::operator=(TrainNet&&) noexcept = default;
TrainNet::~TrainNet() = default;

const NetSpec& TrainNet::spec() const { return impl_->net.spec; }
const NetSpec& TrainNet::inference_spec() const { return impl_->inference_spec; }
const TrainOptions& TrainNet::options() const { return impl_->options; }

Weights TrainNet::initial_weights(std::uint64_t seed) const { return initial_training_weights(impl_->inference_spec, seed); }
Weights TrainNet::inference_weights(const Weights& trained) const { return codegen::inference_weights(impl_->inference_spec, trained); }

std::uint32_t TrainNet::dropout_seed(std::int64_t step) const {
    // lowbias32 (dsl/dropout.hpp) of the seed folded with the step: masks differ from step to step
    // and from seed to seed, and a resumed run draws the ones it would have drawn.
    const auto mix = [](std::uint32_t v) {
        v ^= v >> 16, v *= 0x7feb352du, v ^= v >> 15, v *= 0x846ca68bu, v ^= v >> 16;
        return v;
    };
    const std::uint64_t seed = impl_->options.seed;
    return mix(mix(std::uint32_t(seed) ^ mix(std::uint32_t(seed >> 32) + 0x9E3779B9u)) + std::uint32_t(step));
}

float TrainNet::run(const Tensor& images, const std::vector<int>& labels, const Weights& weights, Weights& gradients,
                    std::uint32_t seed, Extras* extras) const {
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
    if (gradients.specs().size() != m.learned.size()) gradients = Weights(m.learned, m.signature);
    gradients.require_fits(m.signature, m.learned, "the gradients");

    ParamMap map;
    Buffer<float> in = detail::tensor_view(images);
    map.set(m.net.input, in);
    Buffer<int> label_buffer(const_cast<int*>(labels.data()), int(labels.size()));
    map.set(m.labels, label_buffer);
    map.set(m.net.dropout_seed, seed);
    std::vector<Buffer<float>> held;
    held.reserve(m.params.size());
    for (const auto& p : m.params) {
        held.push_back(detail::param_view(weights[p.name], p));
        map.set(m.net.params.at(p.name), held.back());
    }
    Extras local;
    Extras& x = extras ? *extras : local;
    Buffer<float> loss = Buffer<float>::make_scalar();
    x.logits = Buffer<float>(classes, int(labels.size()));
    std::vector<Buffer<>> outputs = {loss, x.logits};
    for (const auto& p : m.learned) outputs.push_back(detail::param_view(gradients[p.name], p));
    x.statistics.clear();
    for (const auto& stats : m.net.batch_statistics)
        for (int k = 0; k < 2; ++k) {
            x.statistics.emplace_back(stats.channels);
            outputs.push_back(x.statistics.back());
        }
    try {
        Realization r(outputs);
        m.pipeline.realize(m.allocations.get(), r, m.target, map);
    } catch (const Halide::Error& e) {
        throw Error(std::string("the training pipeline failed: ") + e.what());
    }
    return loss();
}

float TrainNet::gradients(const Tensor& images, const std::vector<int>& labels, const Weights& weights, Weights& gradients) const {
    return run(images, labels, weights, gradients, dropout_seed(impl_->state ? impl_->state->step() : 0), nullptr);
}

float TrainNet::step(const Tensor& images, const std::vector<int>& labels, Weights& weights) {
    Impl& m = *impl_;
    if (!m.state) m.state.emplace(m.options.optimizer, weights);
    Weights grads;
    Extras extras;
    const float loss = run(images, labels, weights, grads, dropout_seed(m.state->step()), &extras);
    m.state->apply(weights, grads, m.options.total_steps);  // throws, changing nothing, on a non-finite gradient

    // Running statistics: (1 - momentum) * running + momentum * batch, with the batch's unbiased variance.
    const float momentum = batch_norm_momentum;
    for (std::size_t b = 0; b < m.net.batch_statistics.size(); ++b) {
        const auto& stats = m.net.batch_statistics[b];
        const double values = double(images.batch()) * stats.values_per_channel_per_example;
        const float unbias = values > 1 ? float(values / (values - 1)) : 1.0f;
        auto& mean = weights[stats.layer + ".running_mean"];
        auto& var = weights[stats.layer + ".running_var"];
        const Buffer<float>&batch_mean = extras.statistics[2 * b], &batch_var = extras.statistics[2 * b + 1];
        for (int k = 0; k < stats.channels; ++k) {
            mean[std::size_t(k)] = (1 - momentum) * mean[std::size_t(k)] + momentum * batch_mean(k);
            var[std::size_t(k)] = (1 - momentum) * var[std::size_t(k)] + momentum * batch_var(k) * unbias;
        }
    }
    m.predictions.assign(labels.size(), 0);
    for (int b = 0; b < int(labels.size()); ++b) {
        int best = 0;
        for (int k = 1; k < extras.logits.dim(0).extent(); ++k)
            if (extras.logits(k, b) > extras.logits(best, b)) best = k;
        m.predictions[std::size_t(b)] = best;
    }
    return loss;
}

const std::vector<int>& TrainNet::predictions() const { return impl_->predictions; }

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
