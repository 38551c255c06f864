// The spinning worker pool behind kiln::parallel_for (see thread_pool.hpp).
//
// One loop runs at a time. The caller publishes it (fields, then `open`, then a new generation),
// takes indices from one atomic counter beside the workers, then closes the loop and returns once
// no worker is still inside it (a worker that took an index is inside until that index is done). A worker that arrives late (it woke after the loop was
// drained) registers in `inside`, sees the loop closed, and leaves without touching its fields:
// the caller writes a loop's fields only while it is closed and nobody is inside.
#include "kiln/runtime/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace kiln {

namespace {

int positive_from_environment(const char* name, int fallback) {
    const char* text = std::getenv(name);
    if (!text || !*text) return fallback;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    return end && *end == '\0' && value >= 0 && value <= 1 << 20 ? int(value) : fallback;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
}

thread_local bool inside_a_task = false;

// Set in a child process after fork(): the pool's workers were not copied into it, and its
// mutexes may have been held by threads that no longer exist there.
std::atomic<bool> forked_child{false};

class Pool {
  public:
    Pool() : spin_(std::chrono::microseconds(parallel_for_spin_microseconds())) {
        pthread_atfork(nullptr, nullptr, [] { forked_child.store(true); });
        try {
            for (int w = 1; w < parallel_for_threads(); ++w) workers_.emplace_back([this] { work(); });
        } catch (const std::system_error&) {
            // No more threads to be had (a container's limit): the loop runs on those that started.
        }
    }
    // Never destroyed (parallel_for leaks it): a loop may still start during or after static
    // destruction, from a thread the program has not joined, and the workers die with the process.
    ~Pool() = delete;

    int run(void* user_context, ParallelTask task, int min, int size, std::uint8_t* closure) {
        std::lock_guard<std::mutex> one_loop_at_a_time(loop_mutex_);
        user_context_ = user_context, task_ = task, closure_ = closure, end_ = std::int64_t(min) + size;
        next_.store(min), status_.store(0);
        open_.store(true);
        generation_.fetch_add(1);
        if (sleeping_.load() > 0) {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            wake_.notify_all();
        }
        take_indices();
        open_.store(false);
        while (inside_.load() > 0) cpu_relax();
        return status_.load();
    }

  private:
    // Runs indices until none is left.
    void take_indices() {
        inside_a_task = true;
        // 64-bit indices: each thread takes one past the end, which must not wrap at INT_MAX.
        for (std::int64_t i = next_.fetch_add(1, std::memory_order_relaxed); i < end_; i = next_.fetch_add(1, std::memory_order_relaxed)) {
            if (status_.load(std::memory_order_relaxed) == 0) {
                const int result = task_(user_context_, int(i), closure_);
                if (result != 0) {
                    int none = 0;
                    status_.compare_exchange_strong(none, result);
                }
            }
        }
        inside_a_task = false;
    }

    void work() {
        // From generation 0, not the current one: a worker that starts after the first loops must
        // still look at them (it finds them closed, or joins the one still open).
        std::uint64_t seen = 0;
        for (;;) {
            const auto spin_until = std::chrono::steady_clock::now() + spin_;
            for (int n = 0; generation_.load() == seen; ++n) {
                cpu_relax();
                if (spin_.count() == 0 || ((n & 255) == 255 && std::chrono::steady_clock::now() >= spin_until)) {
                    std::unique_lock<std::mutex> lock(sleep_mutex_);
                    sleeping_.fetch_add(1);
                    wake_.wait(lock, [&] { return generation_.load() != seen; });
                    sleeping_.fetch_sub(1);
                }
            }
            seen = generation_.load();
            inside_.fetch_add(1);
            if (open_.load()) take_indices();
            inside_.fetch_sub(1);
        }
    }

    const std::chrono::microseconds spin_;
    std::vector<std::thread> workers_;
    std::mutex loop_mutex_;  // one loop at a time
    // The loop, written only while it is closed and no worker is inside.
    void* user_context_ = nullptr;
    ParallelTask task_ = nullptr;
    std::uint8_t* closure_ = nullptr;
    std::int64_t end_ = 0;
    std::atomic<std::int64_t> next_{0};
    std::atomic<int> status_{0}, inside_{0}, sleeping_{0};
    std::atomic<bool> open_{false};
    std::atomic<std::uint64_t> generation_{0};
    std::mutex sleep_mutex_;
    std::condition_variable wake_;
};

}  // namespace

int parallel_for_threads() {
    static const int threads = std::max(1, positive_from_environment("HL_NUM_THREADS", int(std::thread::hardware_concurrency())));
    return threads;
}

int parallel_for_spin_microseconds() {
    static const int spin = positive_from_environment("KILN_SPIN_US", 300);
    return spin;
}

bool use_halide_thread_pool() {
    static const bool halide = [] {
        const char* text = std::getenv("KILN_HALIDE_THREAD_POOL");
        return text && *text && std::string(text) != "0";
    }();
    return halide;
}

int parallel_for(void* user_context, ParallelTask task, int min, int size, std::uint8_t* closure) {
    if (size <= 0) return 0;
    if (inside_a_task || size == 1 || parallel_for_threads() == 1 || forked_child.load()) {
        // Nested in another loop's task (whose loop already has every thread), nothing to share,
        // or a child process after fork(), which has no workers.
        for (std::int64_t i = min; i < std::int64_t(min) + size; ++i)
            if (const int result = task(user_context, int(i), closure)) return result;
        return 0;
    }
    static Pool& pool = *new Pool;
    return pool.run(user_context, task, min, size, closure);
}

}  // namespace kiln
