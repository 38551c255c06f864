// A labelled image data set in memory, as training reads it: examples stored NHWC like every kiln
// tensor, one class label each; per-channel normalization, and a reproducible shuffle per epoch.
// Readers for files on disk: idx.hpp (MNIST, Fashion-MNIST), cifar10.hpp (CIFAR-10 binary).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/dsl/shape.hpp"
#include "kiln/runtime/tensor.hpp"

namespace kiln::data {

// Per-channel mean and standard deviation, applied as (x - mean) / stddev.
struct Normalization {
    std::vector<float> mean, stddev;
};

class Dataset {
  public:
    Dataset() = default;
    // `pixels` holds examples one after another, each `shape` NHWC; one label per example, each
    // below `classes`. Throws kiln::Error when the sizes or labels disagree.
    Dataset(Shape shape, std::vector<float> pixels, std::vector<std::uint8_t> labels, int classes);

    Shape shape() const { return shape_; }
    std::size_t size() const { return labels_.size(); }
    int classes() const { return classes_; }
    const std::vector<float>& pixels() const { return pixels_; }
    const std::vector<std::uint8_t>& labels() const { return labels_; }

    // Each channel's mean and standard deviation over every example and pixel (computed in double).
    Normalization channel_statistics() const;
    // Applies `n` (usually the training set's statistics, to the test set too).
    void normalize(const Normalization& n);

    // `count` examples, order[first] onwards, as one batch tensor; their labels into `labels`.
    Tensor batch(const std::vector<std::size_t>& order, std::size_t first, std::size_t count, std::vector<int>& labels) const;

  private:
    Shape shape_{};
    std::vector<float> pixels_;
    std::vector<std::uint8_t> labels_;
    int classes_ = 0;
};

// A permutation of 0..n-1 for epoch `epoch` of a run seeded with `seed`: the same seed and epoch
// always give the same order, on every platform (a counter-based generator, not std::shuffle's
// unspecified use of a distribution).
std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed, std::uint64_t epoch);

}  // namespace kiln::data
