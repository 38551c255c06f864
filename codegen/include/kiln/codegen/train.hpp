// Training a declared net: its forward pass, a softmax cross-entropy loss and the gradient of the
// loss for every learned tensor, as one Halide pipeline compiled in process; the optimizer
// (optimizer.hpp) then updates the weights in plain C++. The backward stages are Halide 14's
// reverse-mode autodiff (propagate_adjoints) of the forward algorithm kiln lowers for inference,
// so the gradients follow the same declaration by construction; the training pipeline is
// scheduled by one of Halide's autoschedulers (Mullapudi2016 by default) from the compile-time shapes.
//
//   TrainNet trainer(describe<Net>(), {Optimizer::sgd(LearningRate::constant(0.05f))});
//   Weights w = Weights::for_net(trainer.spec());  w.fill_random(seed);
//   float loss = trainer.step(images, labels, w);   // one batch: forward, loss, backward, update
//
// Trainable today: Conv (every stride, dilation, padding, flipped or not), Dense, the activations,
// max and average pooling, global average pooling, LRN, Concat and Residual, ending in Softmax
// (the loss takes its input, the logits, so softmax and cross-entropy are one stable stage).
// Dropout and BatchNorm are refused: their training modes (a mask; batch statistics) are not
// built yet, and their inference forms would train the wrong function.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/codegen/optimizer.hpp"
#include "kiln/dsl/layer_spec.hpp"
#include "kiln/runtime/tensor.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

struct TrainOptions {
    Optimizer optimizer;
    int batch_estimate = 32;       // the batch the autoscheduler plans for; any batch runs
    std::string target;            // Halide target; empty: HL_JIT_TARGET or the host
    std::int64_t total_steps = 0;  // for the learning-rate schedule (cosine); 0: step() counts none
    // The autoscheduler of the training pipeline: auto-mullapudi2016, auto-adams2019 or auto-li2018.
    std::string schedule = "auto-mullapudi2016";
};

class TrainNet {
  public:
    TrainNet(const NetSpec& spec, TrainOptions options = {});
    TrainNet(TrainNet&&) noexcept;
    TrainNet& operator=(TrainNet&&) noexcept;
    ~TrainNet();

    const NetSpec& spec() const;
    const TrainOptions& options() const;

    // The mean cross-entropy of `images` (batch x the net's input) against `labels` (one class
    // each, below the net's output channels), and into `gradients` its gradient for every learned
    // tensor. Throws kiln::Error for a wrong shape, a label out of range or weights of another net.
    float gradients(const Tensor& images, const std::vector<int>& labels, const Weights& weights, Weights& gradients) const;

    // One training step: gradients, then the optimizer's update of `weights`. Returns the loss
    // before the update. The optimizer state lives in the TrainNet (state(); checkpoints save it).
    float step(const Tensor& images, const std::vector<int>& labels, Weights& weights);

    OptimizerState& state();
    const OptimizerState& state() const;
    // Goes on from a saved state (checkpoint.hpp: load_checkpoint); throws if its optimizer's kind
    // is not this trainer's.
    void restore(OptimizerState state);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::codegen
