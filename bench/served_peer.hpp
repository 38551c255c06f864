// A peer inside a Google Benchmark run: a server in a child process (bench/pytorch_blocks.py
// --serve for PyTorch, bench/onnxruntime_serve.mjs for ONNX Runtime) that times one call per
// request, so its rows are interleaved with kiln's and land in the same report. While one side
// runs, the other waits on a pipe. The protocol, one line each way:
//   server starts        -> "ready <version> <threads>"  or  "error <why>"
//   "prepare NAME BATCH" -> "ok" or "error <why>"        (the servers take other requests too)
//   "run"                -> seconds taken by one call
#pragma once

#include <cstdio>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bench {

class ServedPeer {
  public:
    // Starts `argv` (argv[0] a path); available() is false, with why(), when it cannot (no
    // python3-torch or no onnxruntime-node, for one).
    explicit ServedPeer(const std::vector<std::string>& argv);
    ~ServedPeer();
    ServedPeer(const ServedPeer&) = delete;
    ServedPeer& operator=(const ServedPeer&) = delete;

    bool available() const { return available_; }
    const std::string& why() const { return why_; }
    const std::string& version() const { return version_; }

    // Builds workload `name` at `batch` and warms it up; false (and why()) if the server refused.
    bool prepare(const std::string& name, int batch);
    // Builds training workload `name` (pytorch_blocks.py: TRAIN_WORKLOADS) at `batch` with SGD and
    // runs 3 steps; time_one_call then times one training step.
    bool prepare_training(const std::string& name, int batch);
    // Any other request answered "ok ..." (true) or "error ..." (false, and why()).
    bool ask(const std::string& line);
    // Seconds taken by one forward call (or training step) of the prepared workload.
    double time_one_call();

  private:
    std::string request(const std::string& line);
    bool available_ = false;
    std::string why_, version_;
    pid_t child_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

}  // namespace bench
