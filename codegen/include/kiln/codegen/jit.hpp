// Compile a declared net in process (Halide JIT) and run it on a batch.
//
//   auto net = kiln::codegen::JitNet::compile<MyNet>();      // schedule "default"
//   kiln::Weights w = kiln::Weights::for_net(net.spec());  w.fill_random(42);
//   kiln::Tensor out = net.run(input, w);
#pragma once

#include <memory>
#include <string>

#include "kiln/codegen/lowered.hpp"
#include "kiln/dsl/describe.hpp"
#include "kiln/runtime/tensor.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

class JitNet {
  public:
    explicit JitNet(const NetSpec& spec, const std::string& schedule = "default");
    template <class Net>
    static JitNet compile(const std::string& schedule = "default") {
        return JitNet(describe<Net>(), schedule);
    }
    JitNet(JitNet&&) noexcept;
    JitNet& operator=(JitNet&&) noexcept;
    ~JitNet();

    const NetSpec& spec() const;
    const Lowered& lowered() const;

    // Checks the input shape and every learned tensor (names and sizes) before running; a mismatch,
    // or an error inside the pipeline, throws kiln::Error.
    void run(const Tensor& input, const Weights& weights, Tensor& output) const;
    Tensor run(const Tensor& input, const Weights& weights) const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace kiln::codegen
