// JIT compilation and the checked call into the compiled pipeline.
#include "kiln/codegen/jit.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "jit_allocator.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;

struct JitNet::State {
    Lowered net;
    Pipeline pipeline;
    Target target;
};

namespace {
Target jit_target(const JitOptions& options) {
    Target t;
    if (options.target.empty()) {
        t = get_jit_target_from_environment();
    } else if (Target::validate_target_string(options.target)) {
        t = Target(options.target);
    } else {
        throw Error("'" + options.target + "' is not a Halide target string (e.g. host, host-cuda, x86-64-linux-avx2)");
    }
    if (options.schedule == "cuda") t = t.with_feature(Target::CUDA);
    return t;
}
}  // namespace

JitNet::JitNet(const NetSpec& spec, const JitOptions& options) : state_(std::make_unique<State>()) {
    state_->target = jit_target(options);
    try {
        state_->net = lower(spec, options.batch_estimate);
        apply_schedule(state_->net, options.schedule, state_->target);
        state_->pipeline = Pipeline(state_->net.output);
        state_->pipeline.jit_handlers().custom_malloc = detail::cached_malloc;
        state_->pipeline.jit_handlers().custom_free = detail::cached_free;
        state_->pipeline.compile_jit(state_->target);
    } catch (const Halide::Error& e) {
        throw Error(std::string("Halide could not compile the net: ") + e.what());
    }
    if (options.verify_autoschedule && options.schedule.rfind("auto-", 0) == 0) verify_against_unfused(options);
}

void JitNet::verify_against_unfused(const JitOptions& options) const {
    JitOptions baseline = options;
    baseline.schedule = "unfused";
    baseline.target = state_->target.without_feature(Target::CUDA).to_string();
    const JitNet reference(spec(), baseline);
    std::mt19937 rng(20261125);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    Weights weights = Weights::for_net(spec());
    weights.fill_random(rng());
    // At the batch the schedule was tuned for: an autoscheduler may tile the batch, and Halide
    // then refuses smaller batches (a bounds error, not a wrong answer).
    Tensor input(std::size_t(std::max(1, options.batch_estimate)), spec().input);
    for (float& v : input.values()) v = uniform(rng);
    const auto refuse = [&](const std::string& what) {
        return Error("schedule " + options.schedule + ": Halide compiled a pipeline " + what +
                     "; this is a Halide 14 autoscheduler miscompile, see README 'Known defects'. Use fused, unfused or another autoscheduler.");
    };
    const Tensor want = reference.run(input, weights);
    Tensor got(input.batch(), spec().output);
    try {
        run(input, weights, got);
    } catch (const Error& e) {
        // Halide's bounds checks catch some of these miscompiles as reads outside the input.
        throw refuse(std::string("that fails on a valid input (") + e.what() + ")");
    }
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        scale = std::max(scale, double(std::fabs(want.values()[i])));
        const double d = std::fabs(double(got.values()[i]) - double(want.values()[i]));
        worst = std::isnan(d) ? INFINITY : std::max(worst, d);
    }
    if (!(worst <= 1e-4 * std::max(scale, 1e-30)))
        throw refuse("whose output disagrees with the unfused schedule (max difference " + std::to_string(worst) +
                     " on values up to " + std::to_string(scale) + ")");
}

JitNet::JitNet(JitNet&&) noexcept = default;
JitNet& JitNet::operator=(JitNet&&) noexcept = default;
JitNet::~JitNet() = default;

const NetSpec& JitNet::spec() const { return state_->net.spec; }
const Lowered& JitNet::lowered() const { return state_->net; }
const Target& JitNet::target() const { return state_->target; }

namespace {
// A Halide view of a tensor's memory: dims (c, x, y, n), no copy.
Buffer<float> view(const Tensor& t) {
    const Shape s = t.shape();
    return Buffer<float>(const_cast<float*>(t.data()), {int(s.c), int(s.w), int(s.h), int(t.batch())});
}
}  // namespace

void JitNet::run(const Tensor& input, const Weights& weights, Tensor& output) const {
    const NetSpec& spec = state_->net.spec;
    require_shape(input, spec.input, "the input tensor");
    require_shape(output, spec.output, "the output tensor");
    if (output.batch() != input.batch())
        throw Error("the output tensor has batch " + std::to_string(output.batch()) + " but the input has " +
                    std::to_string(input.batch()));
    ParamMap params;
    Buffer<float> in = view(input);
    params.set(state_->net.input, in);
    std::vector<Buffer<float>> held;
    held.reserve(all_params(spec).size());
    for (const auto& p : all_params(spec)) {
        const auto& values = weights[p.name];  // throws for a missing name
        if (extent_t(values.size()) != p.elements())
            throw Error("learned tensor " + p.name + " holds " + std::to_string(values.size()) + " values, the layer needs " +
                        std::to_string(p.elements()));
        std::vector<int> dims(p.dims.begin(), p.dims.end());
        held.emplace_back(const_cast<float*>(values.data()), dims);
        params.set(state_->net.params.at(p.name), held.back());
    }
    Buffer<float> out = view(output);
    try {
        state_->pipeline.realize(out, state_->target, params);
        if (out.has_device_allocation()) out.copy_to_host();  // a GPU target leaves the result on the device
    } catch (const Halide::Error& e) {
        throw Error(std::string("the compiled net failed: ") + e.what());
    }
}

Tensor JitNet::run(const Tensor& input, const Weights& weights) const {
    Tensor out(input.batch(), state_->net.spec.output);
    run(input, weights, out);
    return out;
}

}  // namespace kiln::codegen
