// The benchmark's console output plus, on stderr, how far the run is: benchmarks done of those the
// filter selected, the time so far and, when repetitions are not interleaved, about how long is
// left. (Interleaved, a benchmark is done only when its last repetition is, so most finish near the
// end and a time left would mislead; the count still shows the run moving.)
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace bench {

// How many of `names` (as registered, with their batch argument) Google Benchmark's filter runs:
// a regular expression searched in each name, "-" in front inverting it.
inline std::size_t count_selected(const std::vector<std::string>& names, std::string filter) {
    if (filter.empty() || filter == "all" || filter == ".") return names.size();
    const bool negated = filter.front() == '-';
    if (negated) filter.erase(0, 1);
    try {
        const std::regex re(filter);
        std::size_t n = 0;
        for (const auto& name : names) n += std::regex_search(name, re) != negated;
        return n;
    } catch (const std::regex_error&) {
        return names.size();  // Google Benchmark itself reports a bad filter
    }
}

class ProgressReporter : public benchmark::ConsoleReporter {
  public:
    ProgressReporter(std::size_t total, bool interleaved) : total_(total), interleaved_(interleaved) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        std::set<std::string> names;
        for (const auto& r : runs) names.insert(r.run_name.str());
        done_ += names.size();
        const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        if (interleaved_ || done_ >= total_)
            std::fprintf(stderr, "bench: %zu of %zu benchmarks done, %.0f s so far\n", done_, total_, seconds);
        else
            std::fprintf(stderr, "bench: %zu of %zu benchmarks done, %.0f s so far, about %.0f s left\n", done_, total_, seconds,
                         seconds / double(done_) * double(total_ - done_));
    }

  private:
    using Clock = std::chrono::steady_clock;
    const std::size_t total_;
    const bool interleaved_;
    std::size_t done_ = 0;
    const Clock::time_point start_ = Clock::now();
};

}  // namespace bench
