// Independent pieces of work spread over every core: what the JIT (pipeline_cache.cpp) and the AOT
// generator (aot.cpp) compile separate Halide pipelines with. Halide lowers and generates code for
// separate pipelines independently (it compiles multi-target libraries in parallel the same way).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace kiln::codegen::detail {

// Runs work(i) for every i in [0, count), on up to one thread per core (this one included); once
// all have stopped, rethrows the exception of the lowest i that threw.
template <class Work>
void in_parallel(std::size_t count, Work work) {
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(count);
    const auto some = [&] {
        for (std::size_t i = next++; i < count; i = next++) {
            try {
                work(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(count, std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(some);
    some();
    for (auto& t : pool) t.join();
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace kiln::codegen::detail
