// A view of a fixed number of contiguous values (C++17 has no std::span): what a tensor hands out,
// so its storage can be read and written but never resized out of step with its shape.
#pragma once

#include <cstddef>

namespace kiln {

template <class T>
class Span {
  public:
    Span(T* data, std::size_t size) : data_(data), size_(size) {}
    T* data() const { return data_; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* begin() const { return data_; }
    T* end() const { return data_ + size_; }
    T& operator[](std::size_t i) const { return data_[i]; }

  private:
    T* data_;
    std::size_t size_;
};

}  // namespace kiln
