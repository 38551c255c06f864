// oneDNN (Debian's libdnnl-dev 2.6) running a described net the way a user of oneDNN would write
// it: one primitive per layer, a ReLU that follows a conv folded in as its post-op, memory formats
// left to oneDNN ('any') with reorders where a primitive wants another layout than it is given,
// the input reordered and the weights filled once before timing. Only execution is timed.
// Handles the layers of W1-W5 and GoogLeNet: Conv, ReLU, max/avg pooling, Concat, Dense, Softmax,
// Dropout (identity at inference).
#pragma once

#include <memory>

#include "kiln/dsl/layer_spec.hpp"

namespace bench {

class OneDnnNet {
  public:
    // Throws std::invalid_argument naming the first layer this peer does not build.
    OneDnnNet(const kiln::NetSpec& spec, int batch);
    ~OneDnnNet();
    void run();  // executes every primitive and waits

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace bench
