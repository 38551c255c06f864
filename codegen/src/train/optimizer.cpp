// See optimizer.hpp.
#include "kiln/codegen/optimizer.hpp"

#include <cmath>

namespace kiln::codegen {

namespace {
constexpr double pi = 3.14159265358979323846;

// The slots each optimizer keeps per learned tensor.
std::vector<std::string> slots(Optimizer::Kind kind) {
    if (kind == Optimizer::Kind::adam) return {"adam_m", "adam_v"};
    return {"momentum"};
}

Weights state_for(const Optimizer& o, const Weights& weights) {
    std::vector<ParamSpec> specs;
    for (const auto& p : weights.specs())
        if (p.learned)
            for (const auto& slot : slots(o.kind)) specs.push_back(ParamSpec{p.name + "." + slot, slot, p.layout, p.dims});
    specs.push_back(ParamSpec{"optimizer.step", "step", "scalar", {1}});
    return Weights(std::move(specs));
}
}  // namespace

float LearningRate::at(std::int64_t step, std::int64_t total_steps) const {
    switch (kind) {
        case Kind::constant: return base;
        case Kind::step: return float(base * std::pow(double(step_factor), double(step / std::max(1, step_every))));
        case Kind::cosine: {
            const double t = total_steps > 1 ? std::min(1.0, double(step) / double(total_steps - 1)) : 1.0;
            return float(floor + (base - floor) * 0.5 * (1.0 + std::cos(pi * t)));
        }
    }
    return base;
}

Optimizer Optimizer::sgd(LearningRate rate, float momentum, float weight_decay) {
    Optimizer o;
    o.kind = Kind::sgd, o.rate = rate, o.momentum = momentum, o.weight_decay = weight_decay;
    return o;
}

Optimizer Optimizer::adam(LearningRate rate, float beta1, float beta2, float epsilon, float weight_decay) {
    Optimizer o;
    o.kind = Kind::adam, o.rate = rate, o.beta1 = beta1, o.beta2 = beta2, o.epsilon = epsilon, o.weight_decay = weight_decay;
    return o;
}

OptimizerState::OptimizerState(const Optimizer& optimizer, const Weights& weights)
    : optimizer_(optimizer), state_(state_for(optimizer, weights)) {}

OptimizerState OptimizerState::from_tensors(const Optimizer& optimizer, const Weights& weights, const Weights& saved) {
    OptimizerState s(optimizer, weights);
    for (const auto& p : s.state_.specs()) {
        const auto& values = saved[p.name];  // throws naming the missing tensor
        if (values.size() != std::size_t(p.elements()))
            throw Error("optimizer state '" + p.name + "' has " + std::to_string(values.size()) + " values, not " +
                        std::to_string(p.elements()));
        s.state_[p.name] = values;
    }
    const float step = s.state_["optimizer.step"][0];
    if (!(step >= 0) || step != std::floor(step)) throw Error("optimizer state 'optimizer.step' is not a step count");
    s.step_ = std::int64_t(step);
    return s;
}

void OptimizerState::apply(Weights& weights, const Weights& gradients, std::int64_t total_steps) {
    // Checked first, so a bad gradient leaves everything as it was.
    for (const auto& p : weights.specs()) {
        if (!p.learned) continue;
        const auto& g = gradients[p.name];
        if (g.size() != std::size_t(p.elements()))
            throw Error("the gradient of '" + p.name + "' has " + std::to_string(g.size()) + " values, not " +
                        std::to_string(p.elements()));
        for (float v : g)
            if (!std::isfinite(v)) throw Error("the gradient of '" + p.name + "' is not finite (a diverging run: lower the learning rate)");
    }
    const Optimizer& o = optimizer_;
    const float rate = o.rate.at(step_, total_steps);
    const double t = double(step_ + 1);
    // Adam's bias corrections for this step.
    const float correct1 = float(1.0 - std::pow(double(o.beta1), t)), correct2 = float(1.0 - std::pow(double(o.beta2), t));
    for (const auto& p : weights.specs()) {
        if (!p.learned) continue;  // statistics (batch norm's running mean), not trained by gradient
        auto& w = weights[p.name];
        const auto& g = gradients[p.name];
        if (o.kind == Optimizer::Kind::sgd) {
            auto& v = state_[p.name + ".momentum"];
            for (std::size_t i = 0; i < w.size(); ++i) {
                const float grad = g[i] + o.weight_decay * w[i];
                v[i] = o.momentum * v[i] + grad;
                w[i] -= rate * v[i];
            }
        } else {
            auto& m = state_[p.name + ".adam_m"];
            auto& v = state_[p.name + ".adam_v"];
            for (std::size_t i = 0; i < w.size(); ++i) {
                const float grad = g[i] + o.weight_decay * w[i];
                m[i] = o.beta1 * m[i] + (1 - o.beta1) * grad;
                v[i] = o.beta2 * v[i] + (1 - o.beta2) * grad * grad;
                w[i] -= rate * (m[i] / correct1) / (std::sqrt(v[i] / correct2) + o.epsilon);
            }
        }
    }
    ++step_;
    state_["optimizer.step"][0] = float(step_);
}

}  // namespace kiln::codegen
