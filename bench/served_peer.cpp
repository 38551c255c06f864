// See served_peer.hpp.
#include "served_peer.hpp"

#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

ServedPeer::ServedPeer(const std::vector<std::string>& argv) {
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
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        std::printf("error cannot run %s\n", argv[0].c_str());
        std::fflush(stdout);
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    to_ = fdopen(down[1], "w");
    from_ = fdopen(up[0], "r");
    const std::string hello = request("");  // the server speaks first: "ready <version> <threads>" or "error ..."
    if (hello.rfind("ready ", 0) == 0) {
        available_ = true;
        version_ = hello.substr(6);
    } else {
        why_ = hello.empty() ? argv.back() + " exited" : hello;
    }
}

ServedPeer::~ServedPeer() {
    if (to_) std::fclose(to_);  // the server exits at end of input
    if (from_) std::fclose(from_);
    if (child_ > 0) waitpid(child_, nullptr, 0);
}

std::string ServedPeer::request(const std::string& line) {
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

bool ServedPeer::prepare(const std::string& name, int batch) { return ask("prepare " + name + " " + std::to_string(batch)); }

bool ServedPeer::prepare_training(const std::string& name, int batch) {
    return ask("prepare-train " + name + " " + std::to_string(batch));
}

bool ServedPeer::ask(const std::string& line) {
    const std::string reply = request(line);
    if (reply == "ok" || reply.rfind("ok ", 0) == 0) return true;
    why_ = reply.empty() ? "the server exited" : reply;
    return false;
}

double ServedPeer::time_one_call() {
    const std::string reply = request("run");
    try {
        return std::stod(reply);
    } catch (const std::exception&) {
        throw std::runtime_error("peer: unexpected reply '" + reply + "' to 'run'" + (reply.empty() ? " (the server exited)" : ""));
    }
}

}  // namespace bench
