// The thread pool around a process's life, in programs of their own:
// - a program whose only parallel loop ends just before it exits must still exit (the pool's
//   destructor once waited forever for a worker that had not started yet): each of 20 children
//   runs one loop and returns from main;
// - a child forked after its parent used the pool has no workers; its loops must still run every
//   index once, and it must exit.
// A child still running after 10 s is killed by its alarm and fails the test.
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/runtime/thread_pool.hpp"

namespace {
int nothing(void*, int, std::uint8_t*) { return 0; }
int count(void*, int index, std::uint8_t* closure) {
    reinterpret_cast<int*>(closure)[index]++;
    return 0;
}

// Runs `body` in a forked child with a 10 s alarm; true when the child returned 0 from it.
template <class Body>
bool in_child(const char* what, int child, Body body) {
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("fork");
        return false;
    }
    if (pid == 0) {
        alarm(10);
        std::exit(body());  // exit(), not _exit(): static destructors run, as at the end of main
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    std::fprintf(stderr, "%s child %d did not exit cleanly (%s %d)\n", what, child, WIFSIGNALED(status) ? "signal" : "status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return false;
}
}  // namespace

int main() {
    for (int child = 0; child < 20; ++child)
        if (!in_child("exiting", child, [] { return kiln::parallel_for(nullptr, nothing, 0, 4, nullptr); })) return 1;
    int parent_runs[64] = {};
    if (kiln::parallel_for(nullptr, count, 0, 64, reinterpret_cast<std::uint8_t*>(parent_runs)) != 0) return 1;
    for (int child = 0; child < 5; ++child)
        if (!in_child("forked", child, [] {
                int runs[64] = {};
                if (kiln::parallel_for(nullptr, count, 0, 64, reinterpret_cast<std::uint8_t*>(runs)) != 0) return 2;
                for (int r : runs)
                    if (r != 1) return 3;
                return 0;
            }))
            return 1;
    std::puts("20 programs ran a parallel loop and exited; 5 forked children ran theirs whole");
    return 0;
}
