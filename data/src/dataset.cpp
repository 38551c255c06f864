// See dataset.hpp.
#include "kiln/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kiln::data {

Dataset::Dataset(Shape shape, std::vector<float> pixels, std::vector<std::uint8_t> labels, int classes)
    : shape_(shape), pixels_(std::move(pixels)), labels_(std::move(labels)), classes_(classes) {
    const std::size_t per = std::size_t(shape.h) * std::size_t(shape.w) * std::size_t(shape.c);
    if (per == 0 || pixels_.size() != per * labels_.size())
        throw Error("a data set of " + std::to_string(labels_.size()) + " examples of " + Tensor::shape_string(shape) + " needs " +
                    std::to_string(per * labels_.size()) + " values, not " + std::to_string(pixels_.size()));
    for (std::size_t i = 0; i < labels_.size(); ++i)
        if (labels_[i] >= classes_)
            throw Error("example " + std::to_string(i) + " has label " + std::to_string(labels_[i]) + ", not below the " +
                        std::to_string(classes_) + " classes");
}

Normalization Dataset::channel_statistics() const {
    const std::size_t channels = std::size_t(shape_.c);
    std::vector<double> sum(channels, 0.0), sum_sq(channels, 0.0);
    for (std::size_t i = 0; i < pixels_.size(); ++i) {
        const double v = pixels_[i];
        sum[i % channels] += v;
        sum_sq[i % channels] += v * v;
    }
    const double count = double(pixels_.size() / channels);
    Normalization n;
    for (std::size_t c = 0; c < channels; ++c) {
        const double mean = count > 0 ? sum[c] / count : 0.0;
        const double variance = count > 0 ? std::max(0.0, sum_sq[c] / count - mean * mean) : 0.0;
        n.mean.push_back(float(mean));
        n.stddev.push_back(float(std::sqrt(variance)));
    }
    return n;
}

void Dataset::normalize(const Normalization& n) {
    const std::size_t channels = std::size_t(shape_.c);
    if (n.mean.size() != channels || n.stddev.size() != channels)
        throw Error("a normalization for " + std::to_string(n.mean.size()) + " channels applied to a data set of " +
                    std::to_string(channels));
    for (std::size_t c = 0; c < channels; ++c)
        if (!(n.stddev[c] > 0)) throw Error("channel " + std::to_string(c) + " has standard deviation " + std::to_string(n.stddev[c]));
    for (std::size_t i = 0; i < pixels_.size(); ++i) pixels_[i] = (pixels_[i] - n.mean[i % channels]) / n.stddev[i % channels];
}

Tensor Dataset::batch(const std::vector<std::size_t>& order, std::size_t first, std::size_t count, std::vector<int>& labels) const {
    if (count == 0 || first > order.size() || count > order.size() - first)
        throw Error("a batch of " + std::to_string(count) + " from position " + std::to_string(first) + " of an order of " +
                    std::to_string(order.size()));
    Tensor t(extent_t(count), shape_);
    const std::size_t per = std::size_t(shape_.h) * std::size_t(shape_.w) * std::size_t(shape_.c);
    labels.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t e = order[first + i];
        if (e >= size()) throw Error("example " + std::to_string(e) + " of a data set of " + std::to_string(size()));
        std::copy_n(pixels_.begin() + std::ptrdiff_t(e * per), per, t.data() + i * per);
        labels[i] = labels_[e];
    }
    return t;
}

namespace {
// SplitMix64: a counter-based generator, the same numbers everywhere.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
}  // namespace

std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed, std::uint64_t epoch) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    const std::uint64_t stream = mix(seed) ^ mix(epoch + 0x5851f42d4c957f2dull);
    // Fisher-Yates with draws from the counter; the modulo bias is below 2^-40 for n < 2^24.
    for (std::size_t i = n; i > 1; --i) {
        const std::size_t j = std::size_t(mix(stream + i) % i);
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

}  // namespace kiln::data
