// The tuner's search (see tune.hpp): coordinate descent over plan_variants, one axis at a time,
// from the cost model's plan, each candidate a net of the group's layers compiled and timed alone.
#include "kiln/codegen/tune.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <random>
#include <set>

#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/plan_space.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/codegen/target.hpp"
#include "kiln/runtime/error.hpp"
#include "compile/output_difference.hpp"

namespace kiln::codegen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
    char text[160];
    std::snprintf(text, sizeof text, fmt, a, b, c);
    return text;
}

// The conv groups the schedule plans: fused's fusion groups, or each conv alone under unfused.
std::vector<FusionGroup> planned_groups(const Lowered& net, const std::string& schedule) {
    std::vector<FusionGroup> groups;
    if (schedule_traits(schedule).fuses) {
        for (const FusionGroup& g : fusion_groups(net))
            if (g.starts_with_conv) groups.push_back(g);
        return groups;
    }
    for (std::size_t i = 0; i < net.layers.size(); ++i)
        if (std::holds_alternative<ConvAttrs>(net.layers[i].spec->attrs)) groups.push_back(conv_alone(i));
    return groups;
}

// A net of just the group's layers, and the next group's when the group may be computed inside
// it (so both choices are timed with the consumer): what a candidate plan is compiled and timed on.
NetSpec group_net(const Lowered& net, const FusionGroup& group) {
    NetSpec sub;
    std::vector<std::size_t> layers = group.layers;
    if (const std::optional<FusionGroup> next = group_to_compute_inside(net, group))
        layers.insert(layers.end(), next->layers.begin(), next->layers.end());
    for (std::size_t i : layers) {
        sub.layers.push_back(*net.layers[i].spec);
        sub.param_count += sub.layers.back().param_count;
        sub.macs += sub.layers.back().macs;
    }
    sub.input = sub.layers.front().in;
    sub.output = sub.layers.back().out;
    return sub;
}

// One group's search: its net alone, random data, and the cost model's output to check against.
class GroupTrials {
  public:
    GroupTrials(NetSpec spec, std::string key, const TuneOptions& options)
        : spec_(std::move(spec)), key_(std::move(key)), options_(options), weights_(Weights::for_net(spec_)),
          input_(options.batch_estimate, spec_.input) {
        std::mt19937 rng(20261202);
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        weights_.fill_random(rng());
        for (float& v : input_.values()) v = uniform(rng);
    }

    // Compiles `plan` for the group; nullopt (and the reason in `why`) if Halide refuses it or
    // its output disagrees with the cost model plan's (the first plan compiled).
    std::optional<JitNet> compile(const ConvGroupPlan& plan, std::string& why) {
        JitOptions jit;
        jit.schedule = options_.schedule;
        jit.batch_estimate = options_.batch_estimate;
        jit.target = options_.target;
        jit.machine = options_.machine;
        jit.tuning.entries[key_] = TunedPlan{plan};
        jit.packed_weights = options_.packed_weights;
        try {
            JitNet net(spec_, jit);
            if (net.lowered().schedule_plan.find("(tuned") == std::string::npos)
                throw Error("the group's own net did not take the plan (its key differs from the whole net's)");
            Tensor out = options_.packed_weights ? net.run(input_, net.prepare(weights_)) : net.run(input_, weights_);
            if (!reference_) {
                reference_ = std::move(out);
            } else if (const std::string wrong = disagreement(out); !wrong.empty()) {
                why = wrong;
                return std::nullopt;
            }
            return std::move(net);
        } catch (const Error& e) {
            why = e.what();
            return std::nullopt;
        }
    }

    // The fastest of repeated runs (at least 5, until `seconds` have passed or 200 runs): the
    // minimum is what the plan can do once caches and the thread pool are warm.
    double time_ms(const JitNet& net, double seconds) {
        Tensor out(options_.batch_estimate, spec_.output);
        const PreparedWeights prepared = options_.packed_weights ? net.prepare(weights_) : PreparedWeights();  // outside the timing
        double best = INFINITY;
        const Clock::time_point start = Clock::now();
        for (int run = 0; run < 200 && (run < 5 || seconds_since(start) < seconds); ++run) {
            const Clock::time_point t0 = Clock::now();
            if (options_.packed_weights) net.run(input_, prepared, out);
            else net.run(input_, weights_, out);
            best = std::min(best, seconds_since(t0) * 1e3);
        }
        return best;
    }

  private:
    std::string disagreement(const Tensor& got) const {
        const detail::OutputDifference d = detail::output_difference(got, *reference_);
        if (d.agrees()) return "";
        return format("its output differs from the cost model plan's by %g on values up to %g", d.worst, d.scale);
    }

    NetSpec spec_;
    std::string key_;
    const TuneOptions& options_;
    Weights weights_;
    Tensor input_;
    std::optional<Tensor> reference_;
};

void check_options(const TuneOptions& options) {
    if (!schedule_traits(options.schedule).takes_plans)
        throw Error("kiln-tune tunes the schedules that take conv group plans (" +
                    comma_separated(schedule_names([](const ScheduleTraits& t) { return t.takes_plans; })) + "), not '" + options.schedule + "'");
    if (options.batch_estimate < 1 || options.batch_estimate > JitNet::max_batch_estimate)
        throw Error("batch_estimate must be between 1 and " + std::to_string(JitNet::max_batch_estimate));
    if (!(options.seconds > 0)) throw Error("the tuning budget must be more than 0 seconds");
    if (options.max_candidates < 1) throw Error("max_candidates must be at least 1 (the cost model's plan)");
}

// A conv group to tune: one whose key the file does not hold yet, each key once.
struct Todo {
    FusionGroup group;
    std::string key, name;
};
std::vector<Todo> groups_to_tune(const Lowered& net, const MachineModel& machine, const std::string& schedule, const Tuning& tuning) {
    std::vector<Todo> todo;
    std::set<std::string> seen;
    for (const FusionGroup& g : planned_groups(net, schedule)) {
        std::string key = tuning_key(machine, net, g);
        if (tuning.find(key) || !seen.insert(key).second) continue;  // tuned before, or a repeat
        std::string name = net.layers[g.first()].spec->name;
        if (g.fused()) name += ".." + net.layers[g.last()].spec->name;
        todo.push_back({g, std::move(key), std::move(name)});
    }
    return todo;
}

// One group's search within `share` seconds: the cost model's plan timed, then variants of the
// best so far along one axis at a time; the winner confirmed against the cost model's plan.
TunedPlan tune_group(const Lowered& net, const Todo& t, const std::string& tag, const MachineModel& machine, const TuneOptions& options,
                     double share, const std::function<void(const std::string&)>& say, const std::function<double()>& seconds_left) {
    const Clock::time_point group_start = Clock::now();
    const auto time_left = [&] { return share - seconds_since(group_start); };
    const double run_seconds = std::clamp(share / (4.0 * options.max_candidates), 0.02, 0.5);

    GroupTrials trials(group_net(net, t.group), t.key, options);
    const ConvGroupPlan cost_model = plan_conv_group(net, t.group, machine);
    std::string why;
    std::optional<JitNet> cost_model_net = trials.compile(cost_model, why);
    if (!cost_model_net) throw Error("group " + t.name + " did not compile with the cost model's plan: " + why);
    const double cost_model_ms = trials.time_ms(*cost_model_net, run_seconds);
    say(tag + ": cost model " + cost_model.describe() + format(": %.3f ms", cost_model_ms));

    ConvGroupPlan best = cost_model;
    double best_ms = cost_model_ms;
    std::optional<JitNet> best_net;
    int tried = 1;
    // Under a fusing schedule, first whether the group is computed inside the next (one candidate,
    // the largest lever where there is a choice); then half the candidates for register tiles, a
    // third for bands, the rest for reduction blocks and images per task.
    // With prepared weights, whether a 3x3 conv is computed directly or by Winograd's algorithm
    // comes first: it changes what every later axis means.
    const std::pair<PlanAxis, int> axes[] = {{PlanAxis::algorithm, options.packed_weights ? 2 : 0},
                                             {PlanAxis::inside_consumer, schedule_traits(options.schedule).fuses ? 1 : 0},
                                             {PlanAxis::register_tile, options.max_candidates / 2},
                                             {PlanAxis::row_bands, options.max_candidates / 3},
                                             {PlanAxis::reduction, options.max_candidates},
                                             {PlanAxis::images_per_task, options.max_candidates}};
    for (const auto& [axis, quota] : axes) {
        int tried_here = 0;
        for (const ConvGroupPlan& plan : plan_variants(net, t.group, machine, best, axis)) {
            if (tried >= options.max_candidates || tried_here >= quota || time_left() <= 0) break;
            ++tried, ++tried_here;
            std::optional<JitNet> candidate = trials.compile(plan, why);
            if (!candidate) {
                say(tag + ": dropped " + plan.describe() + ": " + why);
                continue;
            }
            const double ms = trials.time_ms(*candidate, run_seconds);
            say(tag + ": " + plan.describe() + format(": %.3f ms", ms) + format(" (best %.3f ms, ~%.0f s left)", best_ms, seconds_left()));
            if (ms < best_ms) best = plan, best_ms = ms, best_net = std::move(candidate);
        }
    }
    // The winner against the cost model once more, interleaved, so drift between the first and the
    // last trial cannot decide it.
    TunedPlan entry{cost_model, cost_model_ms, cost_model_ms};
    if (best_net) {
        double again_best = INFINITY, again_cost_model = INFINITY;
        for (int round = 0; round < 3; ++round) {
            again_cost_model = std::min(again_cost_model, trials.time_ms(*cost_model_net, run_seconds));
            again_best = std::min(again_best, trials.time_ms(*best_net, run_seconds));
        }
        entry.cost_model_ms = again_cost_model;
        if (again_best < again_cost_model * (1 - options.min_gain)) entry.plan = best, entry.ms = again_best;
        else entry.ms = again_cost_model;
    }
    say(tag + ": " + (entry.plan == cost_model ? "kept the cost model's plan" : "tuned " + entry.plan.describe()) +
        format(", %.3f ms against %.3f ms (%.2fx)", entry.ms, entry.cost_model_ms, entry.cost_model_ms / entry.ms) + ", " +
        std::to_string(tried) + " plans in " + format("%.1f s", seconds_since(group_start)));
    return entry;
}

}  // namespace

Tuning tune_net(const NetSpec& spec, const TuneOptions& options, Tuning tuning) {
    check_options(options);
    const auto say = [&](const std::string& line) {
        if (options.progress) options.progress(line);
    };
    const Clock::time_point start = Clock::now();
    const auto seconds_left = [&] { return std::max(0.0, options.seconds - seconds_since(start)); };

    // The plans and keys exactly as the schedule will see them: the same target and machine model.
    const Halide::Target target =
        runnable_here(options.target.empty() ? Halide::get_jit_target_from_environment() : resolve_target(options.target));
    const MachineModel machine = MachineModel::for_target(target, options.machine);
    Lowered net = lower(spec, options.batch_estimate);
    net.weights_prepared = options.packed_weights;
    const std::vector<Todo> todo = groups_to_tune(net, machine, options.schedule, tuning);
    say("tuning " + std::to_string(todo.size()) + " conv group" + (todo.size() == 1 ? "" : "s") + " (" + options.schedule +
        ", batch " + std::to_string(options.batch_estimate) + ") on " + machine.describe() + " within " +
        format("%.0f s", options.seconds));
    for (std::size_t i = 0; i < todo.size(); ++i) {
        const std::string tag = "[" + std::to_string(i + 1) + "/" + std::to_string(todo.size()) + "] " + todo[i].name;
        // Each group gets an equal share of what is left, so an early group cannot starve the rest.
        const double share = (options.seconds - seconds_since(start)) / double(todo.size() - i);
        tuning.entries[todo[i].key] = tune_group(net, todo[i], tag, machine, options, share, say, seconds_left);
    }
    return tuning;
}

}  // namespace kiln::codegen
