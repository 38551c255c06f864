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

struct JitOptions {
    std::string schedule = "default";  // see schedule.hpp
    int batch_estimate = 1;            // the batch the schedule is tuned for; any batch runs
    // Halide target string; empty: HL_JIT_TARGET or the host. The cuda schedule adds `cuda`.
    std::string target;
    // Halide 14's autoschedulers can emit schedules that Halide miscompiles (README, known defects).
    // With this on, an autoscheduled net is run once on random data beside the `unfused` schedule
    // and refused with kiln::Error if the two disagree, rather than handed out wrong.
    bool verify_autoschedule = true;
};

class JitNet {
  public:
    explicit JitNet(const NetSpec& spec, const JitOptions& options = {});
    JitNet(const NetSpec& spec, const std::string& schedule) : JitNet(spec, JitOptions{schedule}) {}
    template <class Net>
    static JitNet compile(const JitOptions& options = {}) {
        return JitNet(describe<Net>(), options);
    }
    template <class Net>
    static JitNet compile(const std::string& schedule) {
        return JitNet(describe<Net>(), JitOptions{schedule});
    }
    JitNet(JitNet&&) noexcept;
    JitNet& operator=(JitNet&&) noexcept;
    ~JitNet();

    const NetSpec& spec() const;
    const Lowered& lowered() const;
    const Halide::Target& target() const;

    // Checks the input shape and every learned tensor (names and sizes) before running; a mismatch,
    // or an error inside the pipeline, throws kiln::Error.
    void run(const Tensor& input, const Weights& weights, Tensor& output) const;
    Tensor run(const Tensor& input, const Weights& weights) const;

  private:
    void verify_against_unfused(const JitOptions& options) const;
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace kiln::codegen
