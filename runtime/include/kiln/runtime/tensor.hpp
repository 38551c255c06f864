// A batch of float activations stored NHWC (channels fastest), the layout every kiln kernel reads
// and writes. Halide sees it as dims (c, x, y, n). for_input<Net>/for_output<Net> take the shape
// from the declared net, so only the batch is chosen at run time.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <vector>

#include "kiln/dsl/shape.hpp"
#include "kiln/runtime/cache_line_allocator.hpp"
#include "kiln/runtime/error.hpp"
#include "kiln/runtime/span.hpp"

namespace kiln {

class Tensor {
  public:
    // The most values one tensor may hold: Halide's buffers address elements with 32-bit extents
    // and strides (without its large_buffers feature), so a larger tensor would be truncated.
    static constexpr extent_t max_values = 0x7fffffff;

    Tensor() = default;
    Tensor(extent_t batch, Shape shape) {
        if (batch < 1 || shape.h < 1 || shape.w < 1 || shape.c < 1)
            throw Error("tensor extents must be at least 1, got batch " + std::to_string(batch) + " and " +
                        shape_string(shape));
        // Checked factor by factor, so that no product overflows on the way.
        const extent_t per_example = checked_product(checked_product(shape.h, shape.w), shape.c);
        const extent_t values = checked_product(per_example, batch);
        if (per_example < 0 || values < 0 || values > max_values)
            throw Error("a tensor of batch " + std::to_string(batch) + " x " + shape_string(shape) + " exceeds the " +
                        std::to_string(max_values) + " values a kiln kernel can address");
        try {
            data_.assign(std::size_t(values), 0.0f);
        } catch (const std::bad_alloc&) {
            throw Error("out of memory for a tensor of batch " + std::to_string(batch) + " x " + shape_string(shape));
        }
        batch_ = batch;
        shape_ = shape;
    }
    // A moved-from tensor is empty (batch 0), not a shape over no memory.
    Tensor(Tensor&& o) noexcept : batch_(o.batch_), shape_(o.shape_), data_(std::move(o.data_)) { o.reset(); }
    Tensor& operator=(Tensor&& o) noexcept {
        if (this != &o) batch_ = o.batch_, shape_ = o.shape_, data_ = std::move(o.data_), o.reset();
        return *this;
    }
    Tensor(const Tensor&) = default;
    Tensor& operator=(const Tensor&) = default;

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
    bool empty() const { return data_.empty(); }
    std::size_t size() const { return data_.size(); }
    float* data() { return data_.data(); }
    const float* data() const { return data_.data(); }
    // Always exactly batch x h x w x c values: the storage cannot be resized through a tensor.
    Span<float> values() { return {data_.data(), data_.size()}; }
    Span<const float> values() const { return {data_.data(), data_.size()}; }

    float& operator()(extent_t n, extent_t y, extent_t x, extent_t c) { return data_[index(n, y, x, c)]; }
    float operator()(extent_t n, extent_t y, extent_t x, extent_t c) const { return data_[index(n, y, x, c)]; }

    static std::string shape_string(Shape s) {
        return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
    }

  private:
    // a * b, or -1 when it would exceed max_values (a, b >= 1).
    static extent_t checked_product(extent_t a, extent_t b) {
        if (a < 0 || b < 0 || a > max_values / b) return -1;
        return a * b;
    }
    void reset() {
        batch_ = 0;
        shape_ = Shape{};
        data_.clear();
    }
    std::size_t index(extent_t n, extent_t y, extent_t x, extent_t c) const {
        return std::size_t(((n * shape_.h + y) * shape_.w + x) * shape_.c + c);
    }
    extent_t batch_ = 0;
    Shape shape_{};
    std::vector<float, CacheLineAllocator<float>> data_;  // rows of whole vectors stay on whole lines
};

// Throws kiln::Error unless t holds examples of `expected` shape; `what` names the tensor.
inline void require_shape(const Tensor& t, Shape expected, const std::string& what) {
    if (t.empty()) throw Error(what + " is empty (default-constructed or moved from)");
    if (t.shape() != expected || t.batch() < 1)
        throw Error(what + " has shape " + Tensor::shape_string(t.shape()) + " (batch " + std::to_string(t.batch()) +
                    ") but the net needs " + Tensor::shape_string(expected) + " per example");
}

}  // namespace kiln
