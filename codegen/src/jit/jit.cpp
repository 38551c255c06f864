// JIT compilation and the checked call into the compiled pipeline.
#include "kiln/codegen/jit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <random>

#include "kiln/codegen/schedule.hpp"
#include "kiln/codegen/segments.hpp"
#include "compile/buffer_views.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/runtime/error.hpp"
#include "compile/output_difference.hpp"
#include "jit/pipeline_cache.hpp"

namespace kiln::codegen {

using namespace Halide;

struct JitNet::State {
    // What a call runs: one compiled pipeline for the whole net, or one per segment in order
    // (segments.hpp), each with the net's names of the learned tensors it takes (in its
    // all_params order) and the tensors it reads and writes.
    struct Stage {
        std::shared_ptr<detail::CompiledPipeline> compiled;
        std::vector<std::string> param_names;
        std::size_t input = 0, output = 1, channel_offset = 0;
        std::string first_layer, last_layer;  // the net's names
    };
    std::vector<Stage> stages;
    std::vector<Shape> tensor_shapes = {Shape{}, Shape{}};  // 0: the input, last: the output
    Lowered whole;  // the whole net scheduled, when it runs per segment (lowered() shows it)
    Target target;
    JitOptions options;
    std::string signature;  // of the net's spec, checked against the weights' on every call
    // The signature and every pipeline's packed weight layouts: what PreparedWeights are made for.
    std::string layout;
    bool packed = false;  // some conv reads packed weights: run() with plain Weights packs them
    // The tensors between stages (the first and last slots stay empty: the caller's), for the
    // batch of the last call. Calls are serialized: these are per net, and one call already runs on
    // every core.
    std::vector<Tensor> tensors;
    std::mutex mutex;

    const Lowered& net() const { return stages.size() == 1 ? stages.front().compiled->net : whole; }
};

namespace {
// JIT code runs here, whatever the target string says (target.hpp: Halide 14 on Zen 4 and 5).
Target jit_target(const JitOptions& options) {
    Target t = options.target.empty() ? get_jit_target_from_environment() : resolve_target(options.target);
    if (schedule_traits(options.schedule).needs_gpu) t = t.with_feature(Target::CUDA);
    return runnable_here(t);
}

bool per_segment(const JitOptions& options, const Target& target) {
    if (options.pipelines != JitOptions::Pipelines::automatic) return options.pipelines == JitOptions::Pipelines::per_segment;
    return splits_by_default(options.schedule, target.has_gpu_feature());
}

// With packed weights, the net is lowered twice: once for the plans to say which block each conv
// group reads its weights in (Lowered::plan_weight_packing), and again reading them packed so.
// Lowering and planning take milliseconds; only the second net is compiled.
Lowered scheduled(const NetSpec& spec, const JitOptions& options, const Target& target, const MachineModel& machine,
                  int output_pixel_stride = 0) {
    Lowered net = lower(spec, options.batch_estimate, output_pixel_stride);
    net.weights_prepared = options.packed_weights;
    apply_schedule(net, options.schedule, target, machine, options.tuning);
    if (!options.packed_weights || net.plan_weight_packing.empty()) return net;
    Lowered packed = lower(spec, options.batch_estimate, output_pixel_stride, false, net.plan_weight_packing);
    apply_schedule(packed, options.schedule, target, machine, options.tuning);
    return packed;
}
}  // namespace

JitNet::JitNet(const NetSpec& spec, const JitOptions& options) : state_(std::make_unique<State>()) {
    // The batch the schedule is tuned for sizes the autoschedulers' estimates and the check run's
    // tensors; a typo such as 10000000 would otherwise end in std::bad_alloc.
    if (options.batch_estimate < 1 || options.batch_estimate > max_batch_estimate)
        throw Error("batch_estimate must be between 1 and " + std::to_string(max_batch_estimate) + ", got " +
                    std::to_string(options.batch_estimate));
    State& st = *state_;
    st.target = jit_target(options);
    st.options = options;
    st.signature = net_signature(spec);
    const MachineModel machine = MachineModel::for_target(st.target, options.machine);
    try {
        std::vector<Lowered> nets;
        const SegmentGraph graph = per_segment(options, st.target) ? split_into_segments(spec) : SegmentGraph{};
        if (graph.segments.size() > 1) {
            st.whole = scheduled(spec, options, st.target, machine);
            st.tensor_shapes = graph.tensors;
            for (const Segment& s : graph.segments) {
                nets.push_back(scheduled(s.spec, options, st.target, machine, int(graph.tensors[s.output].c)));
                st.stages.push_back({nullptr, s.net_param_names, s.input, s.output, s.channel_offset, s.first_layer, s.last_layer});
            }
        } else {
            nets.push_back(scheduled(spec, options, st.target, machine));
            st.stages.emplace_back();
            for (const auto& p : all_params(spec)) st.stages.front().param_names.push_back(p.name);
            st.stages.front().first_layer = spec.layers.front().name, st.stages.front().last_layer = spec.layers.back().name;
        }
        std::vector<std::shared_ptr<detail::CompiledPipeline>> compiled =
            detail::compile_pipelines(std::move(nets), st.target, options.progress);
        for (std::size_t i = 0; i < compiled.size(); ++i) st.stages[i].compiled = std::move(compiled[i]);
        st.layout = st.signature;
        for (std::size_t i = 0; i < st.stages.size(); ++i)
            for (const auto& [name, packing] : st.stages[i].compiled->net.packed_weights) {
                st.layout += "\n" + std::to_string(i) + " " + name + " " + std::to_string(packing.block) + " " + std::to_string(packing.winograd_tile);
                st.packed = true;
            }
    } catch (const Halide::Error& e) {
        throw Error(std::string("Halide could not compile the net: ") + e.what());
    } catch (const std::bad_alloc&) {
        throw Error("out of memory while compiling the net");
    }
    if (options.verify_autoschedule && schedule_traits(options.schedule).autoscheduled) {
        refuse_stages_in_reduction_loops(options);
        verify_against_unfused(options);
    }
}

// The Halide 14 miscompiles behind most refusals (docs/known-defects.md): a stage stored at one of
// a reduction's loops and computed at another slides across the reduction, and the pipeline
// computes garbage, fails a bounds check, or reads far outside its buffers and crashes the process
// (Adams2019 on a conv -> pool -> strided conv net: SIGSEGV). A stage computed inside a reduction's
// loops, stored there too, crashed the same way (Adams2019 computing a dilated strided conv's padded
// input at the conv's r_x: random-block seed 1796356395738317267); none of the example nets' valid
// autoscheduled pipelines does that. A crash cannot be caught by running the pipeline, so such a
// schedule is refused from its source before it ever runs.
void JitNet::refuse_stages_in_reduction_loops(const JitOptions& options) const {
    // (store_at, compute_at) arguments, "func, loop", of each statement of the schedule source.
    std::vector<std::pair<std::string, std::string>> placements;
    const std::string& source = state().net().schedule_source;
    for (std::size_t begin = 0; begin < source.size();) {
        const std::size_t end = std::min(source.find(';', begin), source.size());
        const std::string statement = source.substr(begin, end - begin);
        begin = end + 1;
        const auto argument_of = [&](const std::string& call) -> std::string {
            const std::size_t at = statement.find(call);
            if (at == std::string::npos) return "";
            const std::size_t open = at + call.size(), close = statement.find(')', open);
            return close == std::string::npos ? "" : statement.substr(open, close - open);
        };
        placements.emplace_back(argument_of(".store_at("), argument_of(".compute_at("));
    }
    const auto func_of = [](const std::string& args) { return args.substr(0, args.find(',')); };
    const auto at_reduction_loop = [](const std::string& args) { return args.find("_r_", args.find(',')) != std::string::npos; };
    const auto refuse = [&](const std::string& what) {
        return Error("schedule " + options.schedule + ": Halide would compile a pipeline that " + what +
                     "; this is a Halide 14 autoscheduler miscompile, see docs/known-defects.md. Use fused, unfused or another autoscheduler.");
    };
    for (const auto& [stored, computed] : placements)
        if (!stored.empty() && !computed.empty() && stored != computed && func_of(stored) == func_of(computed) &&
            (at_reduction_loop(stored) || at_reduction_loop(computed)))
            throw refuse("slides a stage across the reduction loops of " + func_of(stored) + " (store_at(" + stored + "), compute_at(" +
                         computed + "))");
    for (const auto& [stored, computed] : placements)
        if (!computed.empty() && at_reduction_loop(computed) && (stored.empty() || stored == computed))
            throw refuse("computes a stage inside the reduction loops of " + func_of(computed) + " (compute_at(" + computed + "))");
}

void JitNet::verify_against_unfused(const JitOptions& options) const {
    JitOptions baseline = options;
    baseline.schedule = "unfused";
    baseline.target = state_->target.without_feature(Target::CUDA).to_string();
    const JitNet reference(spec(), baseline);
    std::mt19937 rng(20261125);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    Weights weights = Weights::for_net(spec());
    weights.fill_random(rng());
    // At the batch the schedule was tuned for: an autoscheduler may tile the batch, and Halide
    // then refuses smaller batches (a bounds error, not a wrong answer).
    Tensor input(options.batch_estimate, spec().input);
    for (float& v : input.values()) v = uniform(rng);
    const auto refuse = [&](const std::string& what) {
        return Error("schedule " + options.schedule + ": Halide compiled a pipeline " + what +
                     "; this is a Halide 14 autoscheduler miscompile, see docs/known-defects.md. Use fused, unfused or another autoscheduler.");
    };
    const Tensor want = reference.run(input, weights);
    Tensor got(input.batch(), spec().output);
    try {
        run(input, weights, got);
    } catch (const Error& e) {
        // Halide's bounds checks catch some of these miscompiles as reads outside the input.
        throw refuse(std::string("that fails on a valid input (") + e.what() + ")");
    }
    const detail::OutputDifference d = detail::output_difference(got, want);
    if (!d.agrees())
        throw refuse("whose output disagrees with the unfused schedule (max difference " + std::to_string(d.worst) +
                     " on values up to " + std::to_string(d.scale) + ")");
}

void JitOptions::progress_to_stderr(const std::string& line) {
    static const bool quiet = [] {
        const char* q = std::getenv("KILN_QUIET");
        return q && *q && std::string(q) != "0";
    }();
    if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
}

JitNet::JitNet(JitNet&&) noexcept = default;
JitNet& JitNet::operator=(JitNet&&) noexcept = default;
JitNet::~JitNet() = default;

JitNet::State& JitNet::state() const {
    if (!state_) throw Error("this JitNet was moved from; it holds no compiled net");
    return *state_;
}

const NetSpec& JitNet::spec() const { return state().net().spec; }
const Lowered& JitNet::lowered() const { return state().net(); }
std::size_t JitNet::pipeline_count() const { return state().stages.size(); }
void JitNet::forget_unused_pipelines() { detail::forget_unused_pipelines(); }
const Target& JitNet::target() const { return state().target; }

namespace {
// Channels [offset, offset + channels) of a tensor, its pixels as far apart as the tensor's: where
// a Concat branch writes its part.
Buffer<float> slice_view(const Tensor& t, std::size_t offset, int channels) {
    const Shape s = t.shape();
    const int pixel = int(s.c);
    const halide_dimension_t dims[] = {{0, channels, 1}, {0, int(s.w), pixel}, {0, int(s.h), pixel * int(s.w)},
                                       {0, int(t.batch()), pixel * int(s.w * s.h)}};
    return Buffer<float>(const_cast<float*>(t.data()) + offset, 4, dims);
}
}  // namespace

PreparedWeights JitNet::prepare(const Weights& weights) const {
    State& st = state();
    weights.require_fits(st.signature, all_params(st.net().spec), "the JIT net");
    PreparedWeights prepared;
    prepared.made_for_ = st.layout;
    for (const State::Stage& stage : st.stages) {
        const Lowered& net = stage.compiled->net;
        const std::vector<ParamSpec> params = all_params(net.spec);
        std::vector<Buffer<float>>& buffers = prepared.stages_.emplace_back();
        for (std::size_t p = 0; p < params.size(); ++p) {
            const std::vector<float>& values = weights[stage.param_names[p]];
            const auto packed = net.packed_weights.find(params[p].name);
            buffers.push_back(packed == net.packed_weights.end() ? detail::param_view(values, params[p]).copy()
                                                                       : pack_conv_weights(values, params[p], packed->second));
        }
    }
    return prepared;
}

void JitNet::run(const Tensor& input, const PreparedWeights& weights, Tensor& output) const {
    State& st = state();
    if (weights.empty()) throw Error("these prepared weights are empty: make them with JitNet::prepare(weights)");
    if (weights.made_for_ != st.layout)
        throw Error(weights.made_for_.rfind(st.signature + "\n", 0) == 0 || weights.made_for_ == st.signature
                        ? "these prepared weights were made for this net compiled with other plans or packing; prepare them with the JitNet that runs them"
                        : "these prepared weights were made for another net; prepare them with the JitNet that runs them");
    run_stages(input, output, [&](std::size_t stage, std::size_t param) { return weights.stages_[stage][param]; });
}

Tensor JitNet::run(const Tensor& input, const PreparedWeights& weights) const {
    require_shape(input, state().net().spec.input, "the input tensor");  // before sizing the output by it
    Tensor out(input.batch(), state().net().spec.output);
    run(input, weights, out);
    return out;
}

void JitNet::run(const Tensor& input, const Weights& weights, Tensor& output) const {
    State& st = state();
    if (st.packed) return run(input, prepare(weights), output);  // packs them now (jit.hpp)
    weights.require_fits(st.signature, all_params(st.net().spec), "the JIT net");
    std::vector<std::vector<ParamSpec>> params;
    for (const State::Stage& stage : st.stages) params.push_back(all_params(stage.compiled->net.spec));
    run_stages(input, output, [&](std::size_t stage, std::size_t param) {
        return detail::param_view(weights[st.stages[stage].param_names[param]], params[stage][param]);
    });
}

std::vector<JitNet::SegmentTime> JitNet::time_segments(const Tensor& input, const PreparedWeights& weights, int calls) const {
    State& st = state();
    if (calls < 1) throw Error("time_segments: calls must be at least 1, got " + std::to_string(calls));
    Tensor output(input.batch(), st.net().spec.output);
    run(input, weights, output);  // checks everything, warms up
    std::vector<std::vector<double>> seconds(st.stages.size());
    std::vector<double> one_call;
    for (int call = 0; call < calls; ++call) {
        run_stages(input, output, [&](std::size_t stage, std::size_t param) { return weights.stages_[stage][param]; }, &one_call);
        for (std::size_t s = 0; s < one_call.size(); ++s) seconds[s].push_back(one_call[s]);
    }
    std::vector<SegmentTime> times;
    for (std::size_t s = 0; s < st.stages.size(); ++s) {
        std::vector<double>& t = seconds[s];
        std::nth_element(t.begin(), t.begin() + long(t.size() / 2), t.end());
        times.push_back({st.stages[s].first_layer, st.stages[s].last_layer, st.stages[s].compiled->net.spec.macs, t[t.size() / 2]});
    }
    return times;
}

void JitNet::run_stages(const Tensor& input, Tensor& output,
                        const std::function<Buffer<float>(std::size_t stage, std::size_t param)>& bind,
                        std::vector<double>* stage_seconds) const {
    State& st = state();
    const NetSpec& spec = st.net().spec;
    require_shape(input, spec.input, "the input tensor");
    require_shape(output, spec.output, "the output tensor");
    if (output.batch() != input.batch())
        throw Error("the output tensor has batch " + std::to_string(output.batch()) + " but the input has " +
                    std::to_string(input.batch()));
    // Tensors own their storage, so two tensors overlap only when they are the same one; `fused`
    // would read input rows it has already overwritten.
    if (input.data() == output.data()) throw Error("the output tensor is the input tensor; pass a separate output");
    std::lock_guard<std::mutex> lock(st.mutex);
    const std::size_t last = st.tensor_shapes.size() - 1;
    if (st.tensors.size() != st.tensor_shapes.size() || (last > 1 && st.tensors[1].batch() != input.batch())) {
        st.tensors.clear();
        st.tensors.emplace_back();  // the caller's input
        for (std::size_t t = 1; t < last; ++t) st.tensors.emplace_back(input.batch(), st.tensor_shapes[t]);
        st.tensors.emplace_back();  // the caller's output
    }
    if (stage_seconds) stage_seconds->assign(st.stages.size(), 0.0);
    for (std::size_t index = 0; index < st.stages.size(); ++index) {
        const State::Stage& stage = st.stages[index];
        const auto started = std::chrono::steady_clock::now();
        detail::CompiledPipeline& compiled = *stage.compiled;
        const std::vector<ParamSpec> params = all_params(compiled.net.spec);
        ParamMap map;
        Buffer<float> in = detail::tensor_view(stage.input == 0 ? input : st.tensors[stage.input]);
        map.set(compiled.net.input, in);
        std::vector<Buffer<float>> held;
        held.reserve(params.size());
        for (std::size_t p = 0; p < params.size(); ++p) {
            held.push_back(bind(index, p));
            map.set(compiled.net.params.at(params[p].name), held.back());
        }
        Buffer<float> out = slice_view(stage.output == last ? output : st.tensors[stage.output], stage.channel_offset,
                                       int(compiled.net.spec.output.c));
        std::lock_guard<std::mutex> pipeline_lock(compiled.mutex);
        try {
            compiled.pipeline.realize(out, st.target, map);
            if (out.has_device_allocation()) out.copy_to_host();  // a GPU target leaves the result on the device
        } catch (const Halide::Error& e) {
            std::string message = std::string("the compiled net failed: ") + e.what();
            // The contract for autoscheduled nets: any batch may run, but Halide may have tiled the
            // batch for the one it was tuned for and then refuses others at its bounds check.
            if (schedule_traits(st.options.schedule).autoscheduled && input.batch() != st.options.batch_estimate)
                message += "\n(schedule " + st.options.schedule + " was tuned for batch " +
                           std::to_string(st.options.batch_estimate) + " and may not run other batches: run batch " +
                           std::to_string(st.options.batch_estimate) + ", or compile with JitOptions::batch_estimate = " +
                           std::to_string(input.batch()) + ")";
            throw Error(message);
        }
        if (stage_seconds) (*stage_seconds)[index] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
}

Tensor JitNet::run(const Tensor& input, const Weights& weights) const {
    require_shape(input, state().net().spec.input, "the input tensor");  // before sizing the output by it
    Tensor out(input.batch(), state().net().spec.output);
    run(input, weights, out);
    return out;
}

}  // namespace kiln::codegen
