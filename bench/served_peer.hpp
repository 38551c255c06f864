// PyTorch as a peer inside the Google Benchmark run: bench/pytorch_blocks.py --serve runs in a child
// process and times one forward call per request, so its rows are interleaved with kiln's and
// oneDNN's and land in the same report. While one side runs, the other waits on a pipe.
#pragma once

#include <cstdio>
#include <string>
#include <sys/types.h>

namespace bench {

class PyTorchPeer {
  public:
    // Starts the server (`python` runs `script`); available() is false, with why(), when it cannot
    // (no python3-torch, for one).
    PyTorchPeer(const std::string& python, const std::string& script);
    ~PyTorchPeer();
    PyTorchPeer(const PyTorchPeer&) = delete;
    PyTorchPeer& operator=(const PyTorchPeer&) = delete;

    bool available() const { return available_; }
    const std::string& why() const { return why_; }
    const std::string& version() const { return version_; }

    // Builds workload `name` at `batch` and warms it up; false (and why()) if the script refused.
    bool prepare(const std::string& name, int batch);
    // Builds training workload `name` (pytorch_blocks.py: TRAIN_WORKLOADS) at `batch` with SGD and
    // runs 3 steps; time_one_call then times one training step.
    bool prepare_training(const std::string& name, int batch);
    // Seconds taken by one forward call (or training step) of the prepared workload.
    double time_one_call();

  private:
    std::string request(const std::string& line);
    bool prepared(const std::string& prepare_line);  // "ok", or false with why()
    bool available_ = false;
    std::string why_, version_;
    pid_t child_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

}  // namespace bench
