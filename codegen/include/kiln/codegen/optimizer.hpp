// How training updates learned tensors from their gradients: SGD with momentum and weight decay,
// or Adam, with a learning rate per step from a schedule. The optimizer's state (momentum, Adam's
// moments, the step count) is named after the tensors ("l1_conv.weights.momentum") so it is saved
// and loaded with them (safetensors checkpoints). Plain C++ over the tensors: the update reads
// and writes each value once, a sliver of a training step's time next to forward and backward.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

// The learning rate of step `step` (0-based) of `total_steps`.
struct LearningRate {
    enum class Kind { constant, step, cosine };
    Kind kind = Kind::constant;
    float base = 0.01f;
    int step_every = 1000;    // step: multiply by `step_factor` every `step_every` steps
    float step_factor = 0.1f;
    float floor = 0.0f;       // cosine: decays from base to floor over total_steps

    static LearningRate constant(float base) { return {Kind::constant, base}; }
    static LearningRate step_decay(float base, int every, float factor) { return {Kind::step, base, every, factor}; }
    static LearningRate cosine(float base, float floor = 0.0f) { return {Kind::cosine, base, 1000, 0.1f, floor}; }

    float at(std::int64_t step, std::int64_t total_steps) const;
};

struct Optimizer {
    enum class Kind { sgd, adam };
    Kind kind = Kind::sgd;
    LearningRate rate = LearningRate::constant(0.01f);
    float momentum = 0.9f;      // SGD
    float weight_decay = 0.0f;  // added to the gradient as decay * weight (L2), both optimizers
    float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // Adam

    static Optimizer sgd(LearningRate rate, float momentum = 0.9f, float weight_decay = 0.0f);
    static Optimizer adam(LearningRate rate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
                          float weight_decay = 0.0f);
};

// The optimizer's state for a set of weights: one tensor per learned tensor and slot, plus the
// step count, all in one Weights so a checkpoint saves it as more named tensors.
class OptimizerState {
  public:
    OptimizerState() = default;
    OptimizerState(const Optimizer& optimizer, const Weights& weights);

    // One update of `weights` from `gradients` (named like the weights), then the step count + 1.
    // `total_steps` feeds the learning-rate schedule. Throws kiln::Error if a gradient is missing or
    // mis-sized, or a value is not finite (the weights are then left as they were).
    void apply(Weights& weights, const Weights& gradients, std::int64_t total_steps);

    std::int64_t step() const { return step_; }
    const Optimizer& optimizer() const { return optimizer_; }
    // The state as named tensors ("<tensor>.momentum", "<tensor>.adam_m", "<tensor>.adam_v", and
    // "optimizer.step"), for checkpoints; from_tensors takes them back, checking every name and size.
    const Weights& tensors() const { return state_; }
    static OptimizerState from_tensors(const Optimizer& optimizer, const Weights& weights, const Weights& saved);

  private:
    Optimizer optimizer_;
    Weights state_;
    std::int64_t step_ = 0;
};

}  // namespace kiln::codegen
