// What kiln's generated typed headers (<kernel>.hpp) call: Halide buffer descriptors over kiln
// tensors and weights, checked against the kernel's shapes, and the Halide runtime's error message
// turned into kiln::Error. Header-only, and included only by programs that link a generated kernel
// and the shared Halide runtime (the halide_* symbols come from there, never from libHalide).
#pragma once

#include <HalideRuntime.h>

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/runtime/error.hpp"
#include "kiln/runtime/tensor.hpp"
#include "kiln/runtime/thread_pool.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::aot {

struct ParamInfo {
    const char* name;
    std::vector<extent_t> dims;  // Halide order: fastest first
};

// A halide_buffer_t over caller-owned float memory, dense, fastest dim first.
class Buffer {
  public:
    Buffer(const float* data, const std::vector<extent_t>& dims) : dims_(dims.size()) {
        // halide_dimension_t holds 32-bit extents and strides; a larger tensor is refused rather
        // than truncated (kiln::Tensor never grows that large).
        extent_t stride = 1;
        for (std::size_t d = 0; d < dims.size(); ++d) {
            if (dims[d] < 1 || dims[d] > Tensor::max_values / stride)
                throw Error("a tensor of more than " + std::to_string(Tensor::max_values) + " values cannot be passed to a kernel");
            dims_[d] = halide_dimension_t{0, int32_t(dims[d]), int32_t(stride), 0};
            stride *= dims[d];
        }
        buf_.host = reinterpret_cast<uint8_t*>(const_cast<float*>(data));
        buf_.type = halide_type_t(halide_type_float, 32, 1);
        buf_.dimensions = int(dims_.size());
        buf_.dim = dims_.data();
        buf_.set_host_dirty(true);  // on a GPU target, the kernel copies it to the device first
    }
    Buffer(Buffer&& o) noexcept : dims_(std::move(o.dims_)), buf_(o.buf_) {
        buf_.dim = dims_.data();
        o.buf_.device = 0;
        o.buf_.device_interface = nullptr;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    // A GPU kernel leaves device copies behind; free them with the buffer.
    ~Buffer() {
        if (buf_.device_interface) halide_device_free(nullptr, &buf_);
    }
    halide_buffer_t* get() { return &buf_; }

  private:
    std::vector<halide_dimension_t> dims_;
    halide_buffer_t buf_{};
};

namespace detail {
inline std::mutex& error_mutex() {
    static std::mutex m;
    return m;
}
inline std::string& last_error() {
    static std::string message;
    return message;
}
// Halide's default handler prints and aborts; kiln's keeps the message for the exception instead.
inline void record_error(void*, const char* message) {
    std::lock_guard<std::mutex> lock(error_mutex());
    last_error() = message ? message : "";
}
// Once per program: errors recorded for the exception, and parallel loops on kiln's spinning pool
// (thread_pool.hpp) instead of Halide's, which wakes its sleeping workers on every loop, unless
// KILN_HALIDE_THREAD_POOL is set (to compare the two).
inline void install_runtime_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        halide_set_error_handler(record_error);
        if (!use_halide_thread_pool()) halide_set_custom_do_par_for(parallel_for);
    });
}
}  // namespace detail

inline Buffer tensor_buffer(const Tensor& t) {
    const Shape s = t.shape();
    return Buffer(t.data(), {s.c, s.w, s.h, extent_t(t.batch())});
}

// One checked kernel call: construct (checks shapes), add weights in order, then finish(rc).
class Call {
  public:
    Call(const char* kernel, Shape input_shape, Shape output_shape, const Tensor& in, Tensor& out)
        : kernel_(kernel), in_(tensor_buffer(checked(in, input_shape, "input"))),
          out_(tensor_buffer(checked(out, output_shape, "output"))) {
        if (in.data() == out.data())
            throw Error(std::string(kernel_) + ": the output tensor is the input tensor; pass a separate output");
        if (in.batch() != out.batch())
            throw Error(std::string(kernel_) + ": the output tensor has batch " + std::to_string(out.batch()) +
                        " but the input has " + std::to_string(in.batch()));
        detail::install_runtime_handlers();
    }
    // Throws unless `weights` were made for the kernel's net (`signature`, kiln/dsl/signature.hpp)
    // and hold every tensor in `params` with its dims; tensors are found by name, in any order.
    void require_weights(const Weights& weights, const char* signature, const std::vector<ParamInfo>& params) const {
        std::vector<ParamSpec> specs;
        for (const auto& p : params) specs.push_back(ParamSpec{p.name, "", "", p.dims});
        weights.require_fits(signature, specs, kernel_);
    }
    Buffer weight(const Weights& weights, const ParamInfo& p) const { return Buffer(weights[p.name].data(), p.dims); }
    halide_buffer_t* input() { return in_.get(); }
    halide_buffer_t* output() { return out_.get(); }
    void finish(int rc) {
        if (rc == 0) {
            if (out_.get()->device_interface && halide_copy_to_host(nullptr, out_.get()) != 0)
                throw Error(std::string(kernel_) + ": could not copy the result back from the GPU");
            return;
        }
        std::string message;
        {
            std::lock_guard<std::mutex> lock(detail::error_mutex());
            message = detail::last_error();
        }
        throw Error(std::string(kernel_) + " failed (Halide error " + std::to_string(rc) + "): " + message);
    }

  private:
    const Tensor& checked(const Tensor& t, Shape want, const char* role) const {
        require_shape(t, want, std::string(kernel_) + ": the " + role + " tensor");  // also refuses an empty one
        return t;
    }
    const char* kernel_;
    Buffer in_, out_;
};

}  // namespace kiln::aot
