// Compile a declared net in process (Halide JIT) and run it on a batch.
//
//   auto net = kiln::codegen::JitNet::compile<MyNet>();      // schedule "default"
//   kiln::Weights w = kiln::Weights::for_net(net.spec());  w.fill_random(42);
//   kiln::Tensor out = net.run(input, w);
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/machine_model.hpp"
#include "kiln/codegen/prepared_weights.hpp"
#include "kiln/codegen/tuning.hpp"
#include "kiln/dsl/describe.hpp"
#include "kiln/runtime/tensor.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

struct JitOptions {
    std::string schedule = "default";  // see schedule.hpp
    // The batch the schedule is tuned for (1 to JitNet::max_batch_estimate). `fused` and `unfused`
    // run any batch; an autoscheduled net may refuse other batches (a kiln::Error that says so).
    int batch_estimate = 1;
    // Halide target string; empty: HL_JIT_TARGET or the host. The cuda schedule adds `cuda`.
    std::string target;
    // Halide 14's autoschedulers can emit schedules that Halide miscompiles (docs/known-defects.md).
    // With this on, an autoscheduled net is run once on random data beside the `unfused` schedule
    // and refused with kiln::Error if the two disagree, rather than handed out wrong.
    bool verify_autoschedule = true;
    // The CPU the schedule plans for (machine_model.hpp): "host", a named CPU such as "zen3" or
    // "xeon-spr", and field overrides ("host,cores=1", "zen4,l2=2MiB").
    std::string machine = "host";
    // Measured plans (tuning.hpp, written by kiln-tune): `fused` and `unfused` take a conv group's
    // plan from here when an entry matches the machine and the group's shapes, the cost model's
    // otherwise; Lowered::schedule_plan says which, per group.
    Tuning tuning;
    // How many Halide pipelines the net becomes. Halide 14's compile time grows faster than the
    // pipeline, so `per_segment` compiles each segment (segments.hpp: a conv group, or a Concat or
    // Residual, with the layers after it) as its own pipeline, in parallel, sharing compiled
    // segments across nets and repeated blocks; the tensors between segments are allocated once
    // per batch. `automatic`: per segment for `fused` and `unfused` (each group's output is
    // stored whole either way, so the split costs a pipeline call per segment), one pipeline for
    // the autoschedulers and `cuda`, whose schedules span the whole net.
    enum class Pipelines { automatic, whole_net, per_segment };
    Pipelines pipelines = Pipelines::automatic;
    // Conv weights read packed in each conv group's channel blocks (`fused` and `unfused`):
    // prepare() them once and run() on the prepared weights, and no call copies weights. run()
    // with plain Weights still works, packing every conv's weights on every call (a copy of all the
    // weights, on one core): for weights that change between calls (training, say), leave this off.
    bool packed_weights = false;
    // A compile still running after 2 s says so here every 2 s (pipelines done, time so far and
    // left) and once when done. The default writes the lines to stderr; an empty function (or
    // KILN_QUIET=1 in the environment) silences it.
    std::function<void(const std::string&)> progress = progress_to_stderr;
    static void progress_to_stderr(const std::string& line);
};

// Thread safety: run() may be called from several threads on one JitNet; the calls are
// serialized (each already uses every core). A moved-from JitNet throws kiln::Error when used.
class JitNet {
  public:
    static constexpr int max_batch_estimate = 1 << 16;

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
    // The whole net, lowered and scheduled as it runs (per segment or not, the plans and stored
    // stages are the same): what kiln-inspect reports.
    const Lowered& lowered() const;
    // The number of Halide pipelines a call runs (1 unless compiled per segment).
    std::size_t pipeline_count() const;

    // Compiled pipelines are shared across the process: a net or block compiled again is not
    // recompiled while a net uses it or it is among the 64 most recently used. This drops the
    // ones no net holds (to free their memory, or to time a cold compile).
    static void forget_unused_pipelines();
    const Halide::Target& target() const;

    // Checks the input and output shapes and batch, that they are distinct tensors, and that the
    // weights were made for this net with every learned tensor's dims, before running; a
    // mismatch, or an error inside the pipeline, throws kiln::Error. NaN and Inf propagate as in
    // PyTorch (ReLU and max pooling keep a NaN).
    void run(const Tensor& input, const Weights& weights, Tensor& output) const;
    Tensor run(const Tensor& input, const Weights& weights) const;

    // `weights` (checked as run() checks them) in the layout this net's pipelines read, once
    // (prepared_weights.hpp); with JitOptions::packed_weights, each conv's packed in its plan's
    // channel blocks. run() on them checks they were made for this net and its plans.
    PreparedWeights prepare(const Weights& weights) const;
    void run(const Tensor& input, const PreparedWeights& weights, Tensor& output) const;
    Tensor run(const Tensor& input, const PreparedWeights& weights) const;

    // Each pipeline's share of a call (per segment: a conv group or block, segments.hpp), timed
    // over `calls` calls after one to warm up: the median wall time of each, with the net's names
    // of its first and last layers and its MACs (per image). What `kiln-inspect --segment-times`
    // prints; unlike Halide's profiler it needs no second compile and samples nothing.
    struct SegmentTime {
        std::string first_layer, last_layer;
        extent_t macs = 0;
        double seconds = 0;
    };
    std::vector<SegmentTime> time_segments(const Tensor& input, const PreparedWeights& weights, int calls) const;

  private:
    // The checks on the tensors, then each pipeline in turn, its parameters from `bind`.
    void run_stages(const Tensor& input, Tensor& output,
                    const std::function<Halide::Buffer<float>(std::size_t stage, std::size_t param)>& bind,
                    std::vector<double>* stage_seconds = nullptr) const;
    void refuse_stages_in_reduction_loops(const JitOptions& options) const;
    void verify_against_unfused(const JitOptions& options) const;
    struct State;
    State& state() const;
    std::unique_ptr<State> state_;
};

}  // namespace kiln::codegen
