// What a kernel generated per segment (kiln_add_net, codegen/aot.hpp) runs: the net's segments
// (codegen/segments.hpp), each a Halide pipeline of its own, called in order over tensors this
// driver allocates, with each Concat branch writing straight into its slice of the concat's tensor.
// The generated <kernel>.cpp holds only tables (tensors, steps, the compiled functions per target)
// and its C entry point calls run_segments. Header-only; the halide_* symbols come from the shared
// Halide runtime, never from libHalide.
#pragma once

#include <HalideRuntime.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace kiln::aot {

// A compiled segment, called through Halide's argv entry point: its input, its learned tensors in
// order, its output, each a halide_buffer_t*.
using SegmentFunction = int (*)(void** args);

struct SegmentStep {
    int function;                 // which of the kernel's compiled segments runs
    int input, output;            // tensors it reads and writes (SegmentedKernel::tensors)
    int channel_offset;           // the first channel it writes of its output tensor
    int channels;                 // how many it writes
    const int* params;            // the kernel's learned tensors it takes, as indices in call order
    int param_count;
};

struct TensorShape {
    int h, w, c;
};

struct SegmentedKernel {
    const char* name;
    // Tensor 0 is the caller's input, the last the caller's output; the driver allocates the rest.
    const TensorShape* tensors;
    int tensor_count;
    const SegmentStep* steps;
    int step_count;
    // functions[variant * function_count + f]: segment f compiled for target `variant`, the targets
    // most specialized first.
    const SegmentFunction* functions;
    int function_count;
    int variant_count;
    // Halide target feature bits per variant but the last (the baseline, taken when the CPU runs
    // none of the others), `feature_words` words each, for halide_can_use_target_features.
    const uint64_t* features;
    int feature_words;
};

namespace detail {

struct View {
    halide_buffer_t buffer{};
    halide_dimension_t dims[4]{};
};

inline int fail(const SegmentedKernel& k, int code, const std::string& what) {
    halide_error(nullptr, (std::string(k.name) + ": " + what).c_str());
    return code;
}

// A dense float tensor (c, x, y, n) at `data`.
inline void dense_view(View& v, float* data, const TensorShape& s, int batch) {
    v.dims[0] = {0, s.c, 1, 0};
    v.dims[1] = {0, s.w, s.c, 0};
    v.dims[2] = {0, s.h, s.c * s.w, 0};
    v.dims[3] = {0, batch, s.c * s.w * s.h, 0};
    v.buffer.host = reinterpret_cast<uint8_t*>(data);
    v.buffer.type = halide_type_t(halide_type_float, 32, 1);
    v.buffer.dimensions = 4;
    v.buffer.dim = v.dims;
}

// The caller's buffer as it is.
inline void caller_view(View& v, const halide_buffer_t& b) {
    v.buffer = b;
    for (int d = 0; d < 4; ++d) v.dims[d] = b.dim[d];
    v.buffer.dim = v.dims;
}

// Narrows a view to channels [offset, offset + channels), its pixels as far apart as before: where
// a Concat branch writes its part.
inline void narrow_channels(View& v, int offset, int channels) {
    v.buffer.host += std::ptrdiff_t(offset) * v.dims[0].stride * std::ptrdiff_t(sizeof(float));
    v.dims[0].extent = channels;
}

inline std::string shape_text(const TensorShape& s) {
    return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

// Checks a caller's buffer: present, 4-D float (c, x, y, n) of the declared shape, from 0.
inline int check_caller_buffer(const SegmentedKernel& k, const halide_buffer_t* b, const TensorShape& want, const char* role) {
    if (!b) return fail(k, halide_error_code_buffer_argument_is_null, std::string("the ") + role + " buffer is null");
    if (!b->host)
        return fail(k, halide_error_code_buffer_argument_is_null,
                    std::string("the ") + role + " buffer has no host memory (kernels generated per segment answer no bounds queries)");
    if (b->dimensions != 4 || b->type.code != halide_type_float || b->type.bits != 32)
        return fail(k, halide_error_code_generic_error, std::string("the ") + role + " buffer is not a 4-D float buffer (c, x, y, n)");
    const int want_extents[3] = {want.c, want.w, want.h};
    for (int d = 0; d < 4; ++d)
        if (b->dim[d].min != 0 || (d < 3 && b->dim[d].extent != want_extents[d]))
            return fail(k, halide_error_code_generic_error,
                        std::string("the ") + role + " buffer is not " + shape_text(want) + " (h x w x c) from coordinate 0");
    return 0;
}

// What one call needs beside the caller's buffers: the tensors between segments and the argument
// list. Kept between calls, one per call running at once, so memory is bounded by the calls'
// concurrency rather than by how many threads ever called, and a call allocates only when its
// batch, or its net, is larger than any its arena served before.
struct Arena {
    std::vector<float> values;
    std::vector<std::size_t> offsets;
    std::vector<void*> args;
    Arena* next = nullptr;  // in the pool's free list
};

class ArenaPool {
  public:
    // Never destroyed: a kernel may run during static destruction, from a thread never joined.
    static ArenaPool& instance() {
        static ArenaPool* pool = new ArenaPool;
        return *pool;
    }
    Arena* take() {  // may throw std::bad_alloc
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (Arena* a = free_) {
                free_ = a->next;
                return a;
            }
        }
        return new Arena;
    }
    void give_back(Arena* a) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        a->next = free_;
        free_ = a;
    }

  private:
    std::mutex mutex_;
    Arena* free_ = nullptr;
};

struct ArenaLease {
    Arena* arena = nullptr;
    ~ArenaLease() {
        if (arena) ArenaPool::instance().give_back(arena);
    }
};

}  // namespace detail

// The variant this CPU runs: the first whose target features it has, else the baseline.
inline int usable_variant(const SegmentedKernel& k) {
    for (int v = 0; v + 1 < k.variant_count; ++v)
        if (halide_can_use_target_features(k.feature_words, k.features + std::size_t(v) * k.feature_words)) return v;
    return k.variant_count - 1;
}

// Runs every step of `k` with variant `variant`'s functions; `params` are the kernel's learned
// tensors in call order. Returns 0 or the first failing segment's Halide error code (its message
// went to halide_error). Calls from several threads may run at once, each with an arena of its own
// (detail::ArenaPool).
inline int run_segments(const SegmentedKernel& k, int variant, halide_buffer_t* input, halide_buffer_t* const* params,
                        halide_buffer_t* output) noexcept {
    const int last = k.tensor_count - 1;
    if (int rc = detail::check_caller_buffer(k, input, k.tensors[0], "input")) return rc;
    if (int rc = detail::check_caller_buffer(k, output, k.tensors[last], "output")) return rc;
    const int batch = input->dim[3].extent;
    if (output->dim[3].extent != batch)
        return detail::fail(k, halide_error_code_generic_error,
                            "the output buffer has batch " + std::to_string(output->dim[3].extent) + " but the input has " + std::to_string(batch));
    // Each tensor starts on a cache line: 16 floats.
    constexpr std::size_t line = 16;
    detail::ArenaLease lease;
    std::size_t values = 0;
    try {
        lease.arena = detail::ArenaPool::instance().take();
        detail::Arena& a = *lease.arena;
        a.offsets.assign(std::size_t(k.tensor_count), 0);
        for (int t = 1; t < last; ++t) {
            a.offsets[std::size_t(t)] = values;
            const TensorShape& s = k.tensors[t];
            values += (std::size_t(s.h) * std::size_t(s.w) * std::size_t(s.c) * std::size_t(batch) + line - 1) / line * line;
        }
        if (a.values.size() < values + line) a.values.resize(values + line);
        std::size_t most_params = 0;
        for (int i = 0; i < k.step_count; ++i) most_params = std::max(most_params, std::size_t(k.steps[i].param_count));
        a.args.reserve(most_params + 2);
    } catch (const std::bad_alloc&) {
        return detail::fail(k, halide_error_code_out_of_memory,
                            "out of memory for the tensors between segments (" + std::to_string(values * sizeof(float)) + " bytes)");
    }
    detail::Arena& arena = *lease.arena;
    float* const base = arena.values.data() + (line - (reinterpret_cast<std::uintptr_t>(arena.values.data()) / sizeof(float)) % line) % line;
    const std::vector<std::size_t>& offsets = arena.offsets;
    std::vector<void*>& args = arena.args;
    for (int i = 0; i < k.step_count; ++i) {
        const SegmentStep& step = k.steps[i];
        // A segment reads its whole input tensor: the caller's own buffer, or a dense view of ours.
        detail::View in, out;
        if (step.input != 0) detail::dense_view(in, base + offsets[std::size_t(step.input)], k.tensors[step.input], batch);
        if (step.output == last)
            detail::caller_view(out, *output);
        else
            detail::dense_view(out, base + offsets[std::size_t(step.output)], k.tensors[step.output], batch);
        detail::narrow_channels(out, step.channel_offset, step.channels);
        // The caller's own output buffer where the step writes it whole, so that a GPU kernel's
        // device copies stay with it (a GPU kernel is one segment: aot.hpp).
        const bool whole_output = step.output == last && step.channel_offset == 0 && step.channels == k.tensors[last].c;
        args.assign(1, step.input == 0 ? input : &in.buffer);
        for (int p = 0; p < step.param_count; ++p) args.push_back(params[step.params[p]]);
        args.push_back(whole_output ? output : &out.buffer);
        const SegmentFunction f = k.functions[std::size_t(variant) * std::size_t(k.function_count) + std::size_t(step.function)];
        if (const int rc = f(args.data())) return rc;
    }
    return 0;
}

}  // namespace kiln::aot
