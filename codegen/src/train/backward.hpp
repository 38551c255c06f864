// kiln's own backward pass of a lowered training net (the `unfused` and `fused` training schedules, train.hpp):
// hand-written adjoints for the layers whose gradients are convolutions and matrix products, so
// that they get register-tiled schedules (train_schedule.cpp) instead of whatever an
// autoscheduler makes of autodiff's output; Halide's autodiff, one layer at a time, for the rest.
//
//   conv (stride 1, dilation 1)   input gradient: a full-padded true convolution of the output
//                                 gradient with the kernel transposed (i <-> o), i.e. the flipped
//                                 forward taps; weight gradient: the input correlated with the
//                                 output gradient over (x, y, n); bias: the output gradient summed.
//   dense                         input gradient W^T g, weight gradient g x^T summed over the batch.
//   ReLU                          the output gradient where the input is above 0.
//   max pool (window = stride,    the output gradient to every tap equal to its window's maximum
//   no padding)                   (all tied taps, as Halide's autodiff does).
//   softmax cross-entropy         (softmax - one-hot) / batch, over the logits.
//   everything else               Halide::propagate_adjoints of that layer alone, given its
//                                 output's gradient (strided or dilated convs, the other pools and
//                                 activations, batch norm, dropout, LRN, concat, residual).
#pragma once

#include <Halide.h>

#include <map>
#include <string>
#include <vector>

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen::detail {

// A stage of the training pipeline and what kind of loop nest it wants; the schedule places
// stages by kind, never by name or position.
struct TrainStage {
    enum class Kind {
        conv,               // (c, x, y, n) += w(c, r...) * in(r..., x', y', n): a forward conv or an input gradient
        conv_weight_grad,   // (o, i, kx, ky) += per_example(o, i, kx, ky, r = n), which sums one example's (x, y)
        dense,              // (c, x, y, n) += w(c, f) * in(f..., n)
        dense_input_grad,   // (f, n) += wt(f, r) * g(r, n)
        dense_weight_grad,  // (o, f) += g(o, r) * in(f, r)
        channel_sum,        // (o) += g(o, r...): a bias gradient, batch norm's sums
        materialized,       // a pure stage read many times: compute at root, vectorized
        transpose,          // a weight tensor transposed once per step (dims 0 <-> 1)
    };
    Kind kind;
    Halide::Func f;
    std::vector<int> extents;  // of f's pure dims; 0 for the batch, known only when it runs
    Halide::RDom r;
    Halide::Func per_example;  // conv_weight_grad: one example's sums, and their reduction over (x, y)
    Halide::RDom per_example_r;
    // A materialized gradient whose one consumer reads each value once (a ReLU's or dropout's
    // adjoint reading a pool's gather): `fused` computes it inside that consumer instead.
    bool read_once = false;
};

struct TrainGraph {
    Halide::Func loss;                              // scalar: the batch's mean cross-entropy
    std::map<std::string, Halide::Func> gradients;  // by ParamSpec name, dims as the tensor's
    std::vector<TrainStage> stages;                 // forward and backward stages to schedule
};

// The loss over `logits` (the layer before the net's Softmax, dims (c, 0, 0, n)) and the gradient
// of every learned tensor of `net` (lowered in training form).
TrainGraph build_kiln_backward(Lowered& net, const Halide::Func& logits, const Halide::ImageParam& labels, int classes,
                               float label_smoothing);

// Register-tiled loop nests for the graph's stages on `target`; every other stage of `outputs` with an update
// computed at root (an unscheduled reduction would be recomputed inside its consumer's loops).
// `fused` (the `fused` training schedule) computes the read-once gradients inside their consumers;
// otherwise (`unfused`) every stage is at root.
void schedule_training(TrainGraph& graph, const std::vector<Halide::Func>& outputs, const Halide::Target& target, bool fused);

}  // namespace kiln::codegen::detail
