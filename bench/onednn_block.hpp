// oneDNN (Debian's libdnnl-dev 2.6) running one conv -> ReLU -> pool block the way a user would:
// a convolution primitive with the ReLU as a post-op and a pooling primitive, memory formats left
// to oneDNN ('any'), inputs and weights reordered once before timing. Only execution is timed.
#pragma once

#include <memory>

#include "kiln/dsl/layer_spec.hpp"

namespace bench {

class OneDnnBlock {
  public:
    // `spec` must be Input, Conv, Relu, MaxPool (the W1-W4 blocks).
    OneDnnBlock(const kiln::NetSpec& spec, int batch);
    ~OneDnnBlock();
    void run();  // executes and waits

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace bench
