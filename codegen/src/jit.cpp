// JIT compilation and the checked call into the compiled pipeline.
#include "kiln/codegen/jit.hpp"

#include "kiln/codegen/schedule.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;

struct JitNet::State {
    Lowered net;
    Pipeline pipeline;
};

JitNet::JitNet(const NetSpec& spec, const std::string& schedule) : state_(std::make_unique<State>()) {
    try {
        state_->net = lower(spec);
        const Target target = get_jit_target_from_environment();
        apply_schedule(state_->net, schedule, target);
        state_->pipeline = Pipeline(state_->net.output);
        state_->pipeline.compile_jit(target);
    } catch (const Halide::Error& e) {
        throw Error(std::string("Halide could not compile the net: ") + e.what());
    }
}

JitNet::JitNet(JitNet&&) noexcept = default;
JitNet& JitNet::operator=(JitNet&&) noexcept = default;
JitNet::~JitNet() = default;

const NetSpec& JitNet::spec() const { return state_->net.spec; }
const Lowered& JitNet::lowered() const { return state_->net; }

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
        state_->pipeline.realize(out, get_jit_target_from_environment(), params);
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
