// Progress of a long compile, reported from a thread of its own: nothing for the first 2 s, then a
// line every 2 s and one at the end, so a user waiting on Halide knows what it is doing and for
// about how long. The JIT (pipeline_cache.cpp) and the AOT generator (aot.cpp) count pipelines
// compiled.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace kiln::codegen::detail {

class CompileProgress {
  public:
    // What a report says: `done` of `total` steps after `seconds`; `finished` for the last line.
    using Describe = std::function<std::string(std::size_t done, std::size_t total, double seconds, bool finished)>;

    CompileProgress(std::size_t total, std::function<void(const std::string&)> report, Describe describe)
        : total_(total), report_(std::move(report)), describe_(std::move(describe)), start_(Clock::now()) {
        if (report_ && total_ > 0) watcher_ = std::thread([this] { watch(); });
    }
    ~CompileProgress() { finish(); }
    CompileProgress(const CompileProgress&) = delete;
    CompileProgress& operator=(const CompileProgress&) = delete;

    void one_done() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++done_;
    }
    void finish() {
        if (!watcher_.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_ = true;
        }
        wake_.notify_all();
        watcher_.join();
    }

  private:
    using Clock = std::chrono::steady_clock;

    void watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        bool reported = false;
        while (!wake_.wait_for(lock, std::chrono::seconds(2), [this] { return finished_; })) {
            report_(describe_(done_, total_, seconds(), false));
            reported = true;
        }
        if (reported) report_(describe_(done_, total_, seconds(), true));
    }
    double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

    const std::size_t total_;
    const std::function<void(const std::string&)> report_;
    const Describe describe_;
    const Clock::time_point start_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::size_t done_ = 0;
    bool finished_ = false;
    std::thread watcher_;
};

}  // namespace kiln::codegen::detail
