// See served_peer.hpp.
#include "served_peer.hpp"

#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

PyTorchPeer::PyTorchPeer(const std::string& python, const std::string& script) {
    std::signal(SIGPIPE, SIG_IGN);  // a server that died must become an error here, not kill the bench
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
        why_ = "pipe() failed";
        return;
    }
    child_ = fork();
    if (child_ < 0) {
        why_ = "fork() failed";
        return;
    }
    if (child_ == 0) {
        dup2(down[0], STDIN_FILENO);
        dup2(up[1], STDOUT_FILENO);
        close(down[1]);
        close(up[0]);
        execl(python.c_str(), python.c_str(), script.c_str(), "--serve", static_cast<char*>(nullptr));
        std::printf("error cannot run %s\n", python.c_str());
        std::fflush(stdout);
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    to_ = fdopen(down[1], "w");
    from_ = fdopen(up[0], "r");
    const std::string hello = request("");  // the server speaks first: "ready <torch version> <threads>" or "error ..."
    if (hello.rfind("ready ", 0) == 0) {
        available_ = true;
        version_ = hello.substr(6);
    } else {
        why_ = hello.empty() ? "the PyTorch script exited" : hello;
    }
}

PyTorchPeer::~PyTorchPeer() {
    if (to_) std::fclose(to_);  // the server exits at end of input
    if (from_) std::fclose(from_);
    if (child_ > 0) waitpid(child_, nullptr, 0);
}

std::string PyTorchPeer::request(const std::string& line) {
    if (!line.empty()) {
        std::fputs((line + "\n").c_str(), to_);
        std::fflush(to_);
    }
    char buffer[1024];
    if (!std::fgets(buffer, sizeof buffer, from_)) return "";
    std::string reply(buffer);
    while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r')) reply.pop_back();
    return reply;
}

bool PyTorchPeer::prepare(const std::string& name, int batch) { return prepared("prepare " + name + " " + std::to_string(batch)); }

bool PyTorchPeer::prepare_training(const std::string& name, int batch) {
    return prepared("prepare-train " + name + " " + std::to_string(batch));
}

bool PyTorchPeer::prepared(const std::string& line) {
    const std::string reply = request(line);
    if (reply == "ok") return true;
    why_ = reply.empty() ? "the PyTorch script exited" : reply;
    return false;
}

double PyTorchPeer::time_one_call() {
    const std::string reply = request("run");
    try {
        return std::stod(reply);
    } catch (const std::exception&) {
        throw std::runtime_error("PyTorch peer: unexpected reply '" + reply + "'");
    }
}

}  // namespace bench
