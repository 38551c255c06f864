// See checkpoint.hpp.
#include "kiln/codegen/checkpoint.hpp"

#include "kiln/dsl/signature.hpp"
#include "kiln/runtime/safetensors.hpp"

namespace kiln::codegen {

namespace {

// The net with one more layer holding the optimizer's state tensors, so load_safetensors checks
// them as it checks the weights (present, sized, nothing else in the file).
NetSpec with_state(const NetSpec& net, const OptimizerState& empty_state) {
    NetSpec spec = net;
    LayerSpec state;
    state.name = "optimizer";
    state.path = "optimizer";
    state.attrs = DropoutAttrs{};  // carries no computation; only its tensors are read
    state.params = empty_state.tensors().specs();
    spec.layers.push_back(state);
    return spec;
}

}  // namespace

void save_checkpoint(const std::string& path, const Weights& weights, const OptimizerState& state) {
    std::vector<ParamSpec> specs = weights.specs();
    for (const auto& p : state.tensors().specs()) specs.push_back(p);
    Weights all(specs);
    for (const auto& p : weights.specs()) all[p.name] = weights[p.name];
    for (const auto& p : state.tensors().specs()) all[p.name] = state.tensors()[p.name];
    save_safetensors(all, path);
}

Checkpoint load_checkpoint(const std::string& path, const NetSpec& net, const Optimizer& optimizer) {
    Weights weights = Weights::for_net(net);
    const OptimizerState empty(optimizer, weights);
    const Weights all = load_safetensors(with_state(net, empty), path);
    for (const auto& p : weights.specs()) weights[p.name] = all[p.name];
    OptimizerState state = OptimizerState::from_tensors(optimizer, weights, all);
    return {std::move(weights), std::move(state)};
}

}  // namespace kiln::codegen
