// kiln::parallel_for, the pool Halide's parallel loops run on: every index once, the first
// failure returned, nested and concurrent loops, against counts kept by the tasks themselves.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "kiln/runtime/thread_pool.hpp"
#include "support.hpp"

namespace {

struct Counts {
    int min = 0;
    std::vector<std::atomic<int>> runs;
    void* expected_context = nullptr;
    std::atomic<int> wrong_context{0};
    explicit Counts(int min_, int size) : min(min_), runs(std::size_t(size)) {}
};

int count_index(void* context, int index, std::uint8_t* closure) {
    auto& counts = *reinterpret_cast<Counts*>(closure);
    if (context != counts.expected_context) counts.wrong_context++;
    counts.runs[std::size_t(index - counts.min)]++;
    return 0;
}

void require_each_once(const Counts& counts) {
    REQUIRE(counts.wrong_context.load() == 0);
    for (std::size_t i = 0; i < counts.runs.size(); ++i) {
        INFO("index " << counts.min + int(i));
        REQUIRE(counts.runs[i].load() == 1);
    }
}

}  // namespace

TEST_CASE("parallel_for runs every index of random ranges once, with the caller's context") {
    std::mt19937_64 rng = test::rng_for("parallel_for ranges");
    int context_value = 0;
    for (int loop = 0; loop < 300; ++loop) {
        const int min = std::uniform_int_distribution<int>(-50, 50)(rng);
        const int size = std::uniform_int_distribution<int>(0, 70)(rng);
        Counts counts(min, size);
        counts.expected_context = &context_value;
        REQUIRE(kiln::parallel_for(&context_value, count_index, min, size, reinterpret_cast<std::uint8_t*>(&counts)) == 0);
        require_each_once(counts);
    }
}

namespace {
struct Failing {
    int fail_at = 0;
    std::atomic<int> ran{0};
};
int fail_at_one_index(void*, int index, std::uint8_t* closure) {
    auto& f = *reinterpret_cast<Failing*>(closure);
    f.ran++;
    return index == f.fail_at ? -7 - index : 0;
}
}  // namespace

TEST_CASE("parallel_for returns a failing task's status, and the pool runs the next loop whole") {
    std::mt19937_64 rng = test::rng_for("parallel_for failure");
    for (int loop = 0; loop < 50; ++loop) {
        Failing f;
        f.fail_at = std::uniform_int_distribution<int>(0, 31)(rng);
        REQUIRE(kiln::parallel_for(nullptr, fail_at_one_index, 0, 32, reinterpret_cast<std::uint8_t*>(&f)) == -7 - f.fail_at);
        REQUIRE(f.ran.load() >= 1);
        REQUIRE(f.ran.load() <= 32);
        Counts counts(0, 40);
        REQUIRE(kiln::parallel_for(nullptr, count_index, 0, 40, reinterpret_cast<std::uint8_t*>(&counts)) == 0);
        require_each_once(counts);
    }
}

namespace {
struct Nested {
    std::vector<std::unique_ptr<Counts>> inner;
};
int run_inner_loop(void*, int index, std::uint8_t* closure) {
    Counts& inner = *reinterpret_cast<Nested*>(closure)->inner[std::size_t(index)];
    return kiln::parallel_for(nullptr, count_index, inner.min, int(inner.runs.size()), reinterpret_cast<std::uint8_t*>(&inner));
}
}  // namespace

TEST_CASE("a parallel_for inside a task of another runs every inner index once") {
    Nested nested;
    for (int i = 0; i < 12; ++i) nested.inner.push_back(std::make_unique<Counts>(i, 5 + i));
    REQUIRE(kiln::parallel_for(nullptr, run_inner_loop, 0, 12, reinterpret_cast<std::uint8_t*>(&nested)) == 0);
    for (const auto& inner : nested.inner) require_each_once(*inner);
}

TEST_CASE("parallel_for called from several threads at once runs each caller's loops whole") {
    std::vector<std::thread> callers;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&, t] {
            for (int loop = 0; loop < 200; ++loop) {
                Counts counts(t, 3 + (loop + t) % 29);
                if (kiln::parallel_for(nullptr, count_index, counts.min, int(counts.runs.size()),
                                       reinterpret_cast<std::uint8_t*>(&counts)) != 0)
                    wrong++;
                for (const auto& r : counts.runs)
                    if (r.load() != 1) wrong++;
            }
        });
    for (auto& c : callers) c.join();
    REQUIRE(wrong.load() == 0);
}

namespace {
struct Threads {
    std::mutex mutex;
    std::set<std::thread::id> ids;
};
int note_thread(void*, int, std::uint8_t* closure) {
    auto& t = *reinterpret_cast<Threads*>(closure);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard<std::mutex> lock(t.mutex);
    t.ids.insert(std::this_thread::get_id());
    return 0;
}
}  // namespace

TEST_CASE("parallel_for shares a loop's indices among the pool's threads") {
    // 16 tasks of 5 ms: a worker asleep or spinning takes some within the 80 ms the caller alone would need.
    Threads threads;
    REQUIRE(kiln::parallel_for(nullptr, note_thread, 0, 16, reinterpret_cast<std::uint8_t*>(&threads)) == 0);
    REQUIRE(int(threads.ids.size()) >= std::min(kiln::parallel_for_threads(), 2));
}
