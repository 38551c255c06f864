// Files kiln writes are the old one or the new one, never part of either (kiln/runtime/atomic_file.hpp):
// a checkpoint-sized save killed at random moments, run under a file-size limit smaller than the
// new file, aimed at a directory or into one that is missing; each time the target loads bitwise
// equal to the old weights or the new ones, and no temporary is left for the next save to trip over.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kiln/dsl.hpp"
#include "kiln/runtime/atomic_file.hpp"
#include "kiln/runtime/safetensors.hpp"
#include "support.hpp"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// 33.6 MB of weights: a checkpoint of a real size, so a save takes long enough to be cut.
using Big = Net<Input<64, 64, 16>, Dense<128>, Softmax>;

fs::path fresh_directory(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("kiln_atomic_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

Weights weights_from(std::uint64_t seed) {
    Weights w = Weights::for_net(describe<Big>());
    w.fill_random(seed);
    return w;
}

bool same(const Weights& a, const Weights& b) {
    for (const auto& p : a.specs())
        if (a[p.name] != b[p.name]) return false;
    return true;
}

// The target's weights: the old ones (0), the new ones (1), or anything else (-1).
int which(const fs::path& target, const Weights& old_weights, const Weights& new_weights) {
    try {
        const Weights w = load_safetensors(describe<Big>(), target.string());
        return same(w, old_weights) ? 0 : same(w, new_weights) ? 1 : -1;
    } catch (const Error& e) {
        MESSAGE("the target does not load: " << e.what());
        return -1;
    }
}

// Files in `dir` other than `keep`: temporaries a save left behind.
std::vector<std::string> others(const fs::path& dir, const fs::path& keep) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path() != keep) names.push_back(entry.path().filename().string());
    return names;
}

// Runs `body` in a forked child; its wait status.
template <class Body>
int in_child(Body body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        int code = 1;
        try {
            code = body();
        } catch (...) {
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

}  // namespace

TEST_CASE("atomic files: a checkpoint save killed at random moments leaves the old weights or the new ones, and no temporary") {
    auto rng = test::rng_for("atomic save killed");
    const fs::path dir = fresh_directory("killed"), target = dir / "checkpoint.safetensors";
    const Weights old_weights = weights_from(rng()), new_weights = weights_from(rng());
    save_safetensors(old_weights, target.string());
    // How long one save takes here, to spread the kills over it.
    const auto start = std::chrono::steady_clock::now();
    save_safetensors(old_weights, target.string());
    const double save_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    int kept_old = 0, got_new = 0;
    for (int round = 0; round < 12; ++round) {
        const double at_ms = std::uniform_real_distribution<double>(0.0, 1.3 * save_ms)(rng);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            try {
                save_safetensors(new_weights, target.string());
            } catch (...) {
                ::_exit(1);
            }
            ::_exit(0);
        }
        std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(at_ms));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        CAPTURE(round);
        CAPTURE(at_ms);
        const int found = which(target, old_weights, new_weights);
        CHECK(found >= 0);
        CHECK(others(dir, target).empty());
        if (found == 1) {
            ++got_new;
            save_safetensors(old_weights, target.string());  // the next round starts from the old file again
        } else if (found == 0) {
            ++kept_old;
        }
    }
    MESSAGE("one save took " << save_ms << " ms; of 12 kills, " << kept_old << " left the old file and " << got_new << " the new one");
    fs::remove_all(dir);
}

TEST_CASE("atomic files: a save over the file-size limit leaves the old file whole, whether the signal kills or is ignored") {
    auto rng = test::rng_for("atomic save fsize");
    const fs::path dir = fresh_directory("fsize"), target = dir / "checkpoint.safetensors";
    const Weights old_weights = weights_from(rng()), new_weights = weights_from(rng());
    save_safetensors(old_weights, target.string());
    const auto limited = [&](bool ignore_signal) {
        if (ignore_signal) ::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{1 << 20, 1 << 20};  // 1 MiB, against 33.6 MB
        ::setrlimit(RLIMIT_FSIZE, &limit);
        try {
            save_safetensors(new_weights, target.string());
        } catch (const Error& e) {
            // The reason, in words, with the file's name.
            const std::string what = e.what();
            return what.find("file-size limit") != std::string::npos && what.find(target.string()) != std::string::npos ? 3 : 2;
        }
        return 0;
    };
    const int killed = in_child([&] { return limited(false); });
    CHECK((WIFSIGNALED(killed) && WTERMSIG(killed) == SIGXFSZ));
    CHECK(which(target, old_weights, new_weights) == 0);
    CHECK(others(dir, target).empty());
    const int refused = in_child([&] { return limited(true); });
    CHECK((WIFEXITED(refused) && WEXITSTATUS(refused) == 3));
    CHECK(which(target, old_weights, new_weights) == 0);
    CHECK(others(dir, target).empty());
    // And the next save, with no limit, goes through.
    save_safetensors(new_weights, target.string());
    CHECK(which(target, old_weights, new_weights) == 1);
    fs::remove_all(dir);
}

TEST_CASE("atomic files: a directory in the way, a missing or unwritable directory, or a failing writer: a clear error, the old file intact") {
    const fs::path dir = fresh_directory("refused");
    const Weights w = weights_from(1);
    fs::create_directories(dir / "in_the_way");
    CHECK_THROWS_WITH_AS(save_safetensors(w, (dir / "in_the_way").string()), doctest::Contains("a directory is in the way"), Error);
    CHECK(fs::is_directory(dir / "in_the_way"));
    CHECK_THROWS_WITH_AS(write_file_atomically((dir / "missing" / "f.txt").string(), "x"), doctest::Contains("no such directory"), Error);

    const fs::path text = dir / "notes.txt";
    write_file_atomically(text.string(), "first");
    // A replaced file keeps its mode (a private checkpoint stays private).
    fs::permissions(text, fs::perms::owner_read | fs::perms::owner_write);
    write_file_atomically(text.string(), "old");
    CHECK((fs::status(text).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK_THROWS_WITH_AS(write_file_atomically(text.string(), [](const std::string&) { throw Error("the writer failed"); }),
                         doctest::Contains("the writer failed"), Error);
    CHECK_THROWS_WITH_AS(write_file_atomically(text.string(), [](const std::string&) {}), doctest::Contains("the writer left no file"),
                         Error);
    {
        AtomicFile abandoned(text.string());
        abandoned.write("half of a new file");
    }  // never committed
    std::ifstream in(text);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "old");
    CHECK(others(dir, text) == std::vector<std::string>{"in_the_way"});

    // Permissions bind only a user other than root (CI runs as root: there, said and skipped).
    const fs::path locked = dir / "locked";
    fs::create_directories(locked);
    write_file_atomically((locked / "f.txt").string(), "old");
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    if (::geteuid() != 0) {
        CHECK_THROWS_WITH_AS(write_file_atomically((locked / "f.txt").string(), "new"), doctest::Contains("permission denied"), Error);
        std::ifstream again(locked / "f.txt");
        CHECK(std::string(std::istreambuf_iterator<char>(again), {}) == "old");
    } else {
        MESSAGE("running as root: the unwritable-directory case is not checked (root writes anywhere)");
    }
    fs::permissions(locked, fs::perms::owner_all);
    fs::remove_all(dir);
}
