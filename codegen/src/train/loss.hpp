// The training loss, algorithm only: softmax cross-entropy of the logits against integer labels,
// as one stage that never forms the softmax (log-sum-exp with the row's maximum taken out, so no
// exp overflows), averaged over the batch. With label smoothing ε the target is
// (1 − ε)·one-hot + ε/classes, as in PyTorch's CrossEntropyLoss(label_smoothing = ε).
#pragma once

#include <Halide.h>

namespace kiln::codegen::detail {

// The loss and the per-example stages its gradient reads (train_backward.cpp: the gradient over
// the logits is exp(logit - row_max) / sum_exp - target(c), over the batch).
struct SoftmaxCrossEntropy {
    Halide::Func loss;      // scalar: the mean over the batch
    Halide::Func row_max;   // (n): the largest logit
    Halide::Func sum_exp;   // (n): sum of exp(logit - row_max)
    Halide::Func label;     // (n): the example's class, clamped into range
    float label_smoothing = 0;

    // The target distribution's value at class `c` for example `n`.
    Halide::Expr target(const Halide::Expr& c, const Halide::Expr& n, int classes) const;
};

// `logits` has dims (c, x, y, n) with one pixel (x = y = 0) and `classes` channels; `labels` is a
// 1-D int32 input, one class per example, whose extent is the batch. Labels outside [0, classes)
// are clamped (the caller refuses them before running), and so are examples past the last (the
// training schedule's rounded-up batch tiles ask for them).
// `label_smoothing` is in [0, 1] (the caller checks).
SoftmaxCrossEntropy softmax_cross_entropy(const Halide::Func& logits, const Halide::ImageParam& labels, int classes,
                                          float label_smoothing);

}  // namespace kiln::codegen::detail
