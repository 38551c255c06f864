// See lower_loss.hpp.
#include "train/loss.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
// The largest of logits(first .. first + count - 1) as a balanced tree of pure max()es: Halide 14's
// autodiff cannot differentiate a max reduction (its update reads its own earlier values).
Expr tree_max(const Func& logits, const Var& n, int first, int count) {
    if (count == 1) return logits(first, 0, 0, n);
    const int half = count / 2;
    return max(tree_max(logits, n, first, half), tree_max(logits, n, first + half, count - half));
}
}  // namespace

Expr SoftmaxCrossEntropy::target(const Expr& c, const Expr& n, int classes) const {
    const float spread = label_smoothing / float(classes);
    return select(c == label(n), 1.0f - label_smoothing + spread, spread);
}

SoftmaxCrossEntropy softmax_cross_entropy(const Func& logits, const ImageParam& labels, int classes, float label_smoothing) {
    Var n("n");
    SoftmaxCrossEntropy s{Func("loss"), Func("loss_row_max"), Func("loss_sum_exp"), Func("loss_label"), label_smoothing};
    RDom rc(0, classes, "loss_rc");
    s.row_max(n) = tree_max(logits, n, 0, classes);
    s.sum_exp(n) = 0.0f;
    s.sum_exp(n) += exp(logits(rc, 0, 0, n) - s.row_max(n));
    // An expression in the loss, not a call of `label`: Halide 14's autodiff crashes on an index
    // that is a call of an integer Func.
    Expr label = clamp(labels(clamp(n, 0, labels.dim(0).extent() - 1)), 0, classes - 1);
    s.label(n) = label;
    // -sum_c target(c) log softmax(c) = log-sum-exp - (1 - ε) logit(label) - ε/classes sum_c logit(c).
    Expr target_dot_logits = (1.0f - label_smoothing) * logits(label, 0, 0, n);
    if (label_smoothing > 0) {
        Func logit_sum("loss_logit_sum");
        logit_sum(n) = 0.0f;
        logit_sum(n) += logits(rc, 0, 0, n);
        target_dot_logits += label_smoothing / float(classes) * logit_sum(n);
    }
    Func example_loss("loss_example");
    example_loss(n) = s.row_max(n) + log(s.sum_exp(n)) - target_dot_logits;
    RDom rb(0, labels.dim(0).extent(), "loss_rb");
    s.loss() = 0.0f;
    s.loss() += example_loss(rb) / cast<float>(labels.dim(0).extent());
    return s;
}

}  // namespace kiln::codegen::detail
