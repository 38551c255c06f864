// A program whose only parallel loop ends just before it exits must still exit: the pool's
// destructor runs while its worker may not have started yet (it once waited for that worker
// forever). Each of 20 children runs one loop and returns from main; a child still running
// after 10 s is killed by its alarm and fails the test.
#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/runtime/thread_pool.hpp"

namespace {
int nothing(void*, int, std::uint8_t*) { return 0; }
}  // namespace

int main() {
    for (int child = 0; child < 20; ++child) {
        const pid_t pid = fork();
        if (pid < 0) {
            std::perror("fork");
            return 1;
        }
        if (pid == 0) {
            alarm(10);
            return kiln::parallel_for(nullptr, nothing, 0, 4, nullptr);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "child %d did not exit cleanly (%s %d)\n", child, WIFSIGNALED(status) ? "signal" : "status",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            return 1;
        }
    }
    std::puts("20 programs ran a parallel loop and exited");
    return 0;
}
