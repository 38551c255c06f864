// Training a declared net: its forward pass, a softmax cross-entropy loss and the gradient of the
// loss for every learned tensor, as one Halide pipeline compiled in process; the optimizer
// (optimizer.hpp) then updates the weights in plain C++. The backward stages are Halide 14's
// reverse-mode autodiff (propagate_adjoints) of the forward algorithm kiln lowers for inference,
// so the gradients follow the same declaration by construction; the training pipeline is
// scheduled by one of Halide's autoschedulers (Mullapudi2016 by default) from the compile-time shapes.
//
//   TrainNet trainer(describe<Net>(), {Optimizer::sgd(LearningRate::constant(0.05f))});
//   Weights w = trainer.initial_weights(seed);
//   float loss = trainer.step(images, labels, w);   // one batch: forward, loss, backward, update
//   JitNet::compile<Net>().run(images, trainer.inference_weights(w));
//
// Every layer kind trains, ending in Softmax (the loss takes its input, the logits, so softmax and
// cross-entropy are one stable stage). Dropout and batch norm train in their training forms: a
// seeded counter-based mask (dsl/dropout.hpp), and the batch's statistics with running ones kept
// in the weights (training_form.hpp); the weights trained are those of the net's training form,
// which inference_weights() turns into the inference net's.
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
    // How the training pipeline is built and scheduled: `unfused` (kiln's own backward pass, every
    // stage at root and register-tiled: train_backward.hpp), `fused` (the same, with gradients that
    // one consumer reads once, such as a pool's gather under a ReLU, computed inside it), or
    // Halide's autodiff of the whole net under an autoscheduler: auto-mullapudi2016,
    // auto-adams2019 or auto-li2018.
    std::string schedule = "unfused";
    std::uint64_t seed = 0;  // of the dropout masks (dropout_seed)
    // ε in [0, 1]: the loss's target is (1 − ε)·one-hot + ε/classes, as PyTorch's
    // CrossEntropyLoss(label_smoothing = ε); 0 is plain cross-entropy.
    float label_smoothing = 0;
};

class TrainNet {
  public:
    TrainNet(const NetSpec& spec, TrainOptions options = {});
    TrainNet(TrainNet&&) noexcept;
    TrainNet& operator=(TrainNet&&) noexcept;
    ~TrainNet();

    // The training form of the net (training_form.hpp), whose weights train; and the net as declared.
    const NetSpec& spec() const;
    const NetSpec& inference_spec() const;
    const TrainOptions& options() const;

    // Weights of the training form to start from (initial_training_weights), and the inference
    // net's weights from trained ones (batch norm folded; the other tensors as they are).
    Weights initial_weights(std::uint64_t seed) const;
    Weights inference_weights(const Weights& trained) const;

    // The mean cross-entropy of `images` (batch x the net's input) against `labels` (one class
    // each, below the net's output channels), and into `gradients` its gradient for every learned
    // tensor. Dropout draws the masks of the step the optimizer is at (0 before any). Throws
    // kiln::Error for a wrong shape, a label out of range or weights of another net.
    float gradients(const Tensor& images, const std::vector<int>& labels, const Weights& weights, Weights& gradients) const;

    // One training step: gradients, then the optimizer's update of `weights` and of batch norm's
    // running statistics in them. Returns the loss before the update. The optimizer state lives in
    // the TrainNet (state(); checkpoints save it).
    float step(const Tensor& images, const std::vector<int>& labels, Weights& weights);
    // The class each example of the last step's batch scored highest, from that step's forward
    // pass (before its update; dropout on, batch statistics): the train accuracy, at no extra cost.
    const std::vector<int>& predictions() const;

    // The seed of step `step`'s dropout masks, from TrainOptions::seed (dsl/dropout.hpp).
    std::uint32_t dropout_seed(std::int64_t step) const;

    OptimizerState& state();
    const OptimizerState& state() const;
    // Goes on from a saved state (checkpoint.hpp: load_checkpoint); throws if its optimizer's kind
    // is not this trainer's.
    void restore(OptimizerState state);

  private:
    struct Impl;
    struct Extras;
    float run(const Tensor& images, const std::vector<int>& labels, const Weights& weights, Weights& gradients, std::uint32_t seed,
              Extras* extras) const;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::codegen
