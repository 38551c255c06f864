// The training loss, algorithm only: softmax cross-entropy of the logits against integer labels,
// as one stage that never forms the softmax (log-sum-exp with the row's maximum taken out, so no
// exp overflows), averaged over the batch.
#pragma once

#include <Halide.h>

namespace kiln::codegen::detail {

// `logits` has dims (c, x, y, n) with one pixel (x = y = 0) and `classes` channels; `labels` is a
// 1-D int32 input, one class per example, whose extent is the batch. Labels outside [0, classes)
// are clamped (the caller refuses them before running).
Halide::Func softmax_cross_entropy(const Halide::Func& logits, const Halide::ImageParam& labels, int classes);

}  // namespace kiln::codegen::detail
