// See lower_loss.hpp.
#include "lower_loss.hpp"

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

Func softmax_cross_entropy(const Func& logits, const ImageParam& labels, int classes) {
    Var n("n");
    RDom rc(0, classes, "loss_rc");
    Func row_max("loss_row_max");
    row_max(n) = tree_max(logits, n, 0, classes);
    Func sum_exp("loss_sum_exp");
    sum_exp(n) = 0.0f;
    sum_exp(n) += exp(logits(rc, 0, 0, n) - row_max(n));
    Func example_loss("loss_example");
    example_loss(n) = row_max(n) + log(sum_exp(n)) - logits(clamp(labels(n), 0, classes - 1), 0, 0, n);
    RDom rb(0, labels.dim(0).extent(), "loss_rb");
    Func loss("loss");
    loss() = 0.0f;
    loss() += example_loss(rb) / cast<float>(labels.dim(0).extent());
    return loss;
}

}  // namespace kiln::codegen::detail
