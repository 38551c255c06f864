// See training_form.hpp.
#include "kiln/codegen/training_form.hpp"

#include <cmath>


namespace kiln::codegen {

namespace {

void rewrite_batch_norms(std::vector<LayerSpec>& layers) {
    for (auto& l : layers) {
        if (std::holds_alternative<BatchNormAttrs>(l.attrs)) {
            const std::vector<extent_t> dims = {l.in.c};
            l.params = {ParamSpec{l.name + ".gamma", "gamma", "C", dims}, ParamSpec{l.name + ".beta", "beta", "C", dims},
                        ParamSpec{l.name + ".running_mean", "running_mean", "C", dims, false},
                        ParamSpec{l.name + ".running_var", "running_var", "C", dims, false}};
        }
        for (auto& branch : l.children) rewrite_batch_norms(branch);
    }
}

void collect_batch_norms(const std::vector<LayerSpec>& layers, std::vector<const LayerSpec*>& out) {
    for (const auto& l : layers) {
        if (std::holds_alternative<BatchNormAttrs>(l.attrs)) out.push_back(&l);
        for (const auto& branch : l.children) collect_batch_norms(branch, out);
    }
}

}  // namespace

NetSpec training_form(const NetSpec& net) {
    NetSpec out = net;
    rewrite_batch_norms(out.layers);
    return out;
}

Weights initial_training_weights(const NetSpec& net, std::uint64_t seed) {
    const NetSpec form = training_form(net);
    Weights w = Weights::for_net(form);
    w.fill_random(seed);
    for (const auto& p : w.specs()) {
        float value = 0.0f;
        if (p.role == "gamma" || p.role == "running_var") value = 1.0f;
        else if (p.role != "beta" && p.role != "running_mean") continue;
        for (auto& v : w[p.name]) v = value;
    }
    return w;
}

Weights inference_weights(const NetSpec& net, const Weights& trained) {
    const NetSpec form = training_form(net);
    trained.require_fits(form, "the trained weights");
    Weights out = Weights::for_net(net);
    for (const auto& p : out.specs())
        if (p.role != "scale" && p.role != "shift") out[p.name] = trained[p.name];
    std::vector<const LayerSpec*> norms;
    collect_batch_norms(net.layers, norms);
    for (const LayerSpec* l : norms) {
        const auto& gamma = trained[l->name + ".gamma"];
        const auto& beta = trained[l->name + ".beta"];
        const auto& mean = trained[l->name + ".running_mean"];
        const auto& var = trained[l->name + ".running_var"];
        auto& scale = out[l->name + ".scale"];
        auto& shift = out[l->name + ".shift"];
        for (std::size_t k = 0; k < scale.size(); ++k) {
            if (!(var[k] >= 0)) throw Error("the running variance of " + l->name + " channel " + std::to_string(k) + " is negative or NaN");
            scale[k] = float(double(gamma[k]) / std::sqrt(double(var[k]) + double(batch_norm_epsilon)));
            shift[k] = float(double(beta[k]) - double(mean[k]) * double(scale[k]));
        }
    }
    return out;
}

}  // namespace kiln::codegen
