// A batch of float activations stored NHWC (channels fastest), the layout every kiln kernel reads
// and writes. Halide sees it as dims (c, x, y, n). for_input<Net>/for_output<Net> take the shape
// from the declared net, so only the batch is chosen at run time.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kiln/dsl/shape.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln {

class Tensor {
  public:
    Tensor() = default;
    Tensor(extent_t batch, Shape shape) : batch_(batch), shape_(shape) {
        if (batch < 1 || shape.h < 1 || shape.w < 1 || shape.c < 1)
            throw Error("tensor extents must be at least 1, got batch " + std::to_string(batch) + " and " +
                        shape_string(shape));
        data_.assign(std::size_t(batch * shape.elements()), 0.0f);
    }

    template <class Net>
    static Tensor for_input(extent_t batch) {
        return Tensor(batch, Net::input_shape);
    }
    template <class Net>
    static Tensor for_output(extent_t batch) {
        return Tensor(batch, Net::output_shape);
    }

    extent_t batch() const { return batch_; }
    Shape shape() const { return shape_; }
    std::size_t size() const { return data_.size(); }
    float* data() { return data_.data(); }
    const float* data() const { return data_.data(); }
    std::vector<float>& values() { return data_; }
    const std::vector<float>& values() const { return data_; }

    float& operator()(extent_t n, extent_t y, extent_t x, extent_t c) { return data_[index(n, y, x, c)]; }
    float operator()(extent_t n, extent_t y, extent_t x, extent_t c) const { return data_[index(n, y, x, c)]; }

    static std::string shape_string(Shape s) {
        return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
    }

  private:
    std::size_t index(extent_t n, extent_t y, extent_t x, extent_t c) const {
        return std::size_t(((n * shape_.h + y) * shape_.w + x) * shape_.c + c);
    }
    extent_t batch_ = 0;
    Shape shape_{};
    std::vector<float> data_;
};

// Throws kiln::Error unless t holds examples of `expected` shape; `what` names the tensor.
inline void require_shape(const Tensor& t, Shape expected, const std::string& what) {
    if (t.shape() != expected || t.batch() < 1)
        throw Error(what + " has shape " + Tensor::shape_string(t.shape()) + " (batch " + std::to_string(t.batch()) +
                    ") but the net needs " + Tensor::shape_string(expected) + " per example");
}

}  // namespace kiln
