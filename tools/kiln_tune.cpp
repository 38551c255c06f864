// kiln-tune: measures each conv group's plans on this machine and writes the winners to a tuning
// file that JitOptions::tuning, kiln-inspect --tuning and kiln_add_net(... TUNING) read.
//
//   kiln-tune NET [--out FILE] [--seconds S] [--schedule fused|unfused] [--batch B] [--target T] [--packed-weights]
//                 [--machine M] [--candidates N]
//
// An existing FILE is read first: its entries are kept and their groups not tuned again, so one
// file can hold several nets, batches and machines. NET is one of the example nets (--help lists
// them). Exit status: 0 done, 1 tuning failed, 2 bad command line.
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli.hpp"
#include "tool_nets.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/codegen/tune.hpp"
#include "kiln/runtime/error.hpp"

int main(int argc, char** argv) {
    kiln::codegen::TuneOptions options;
    std::string name, out;

    CLI::App app("Measures each conv group's plans on this machine; writes the fastest to a tuning file.", "kiln-tune");
    kiln::tools::add_version(app);
    kiln::tools::add_net_argument(app, name, "the net to tune");
    app.add_option("--out", out, "the tuning file, read first if it exists (default NET.tuning.json)");
    app.add_option("--seconds", options.seconds, "the whole search's budget")
        ->check(kiln::tools::number_in(1e-3, 1e6))->capture_default_str();
    app.add_option("--schedule", options.schedule, "the schedule whose plans are tuned")
        ->check(kiln::tools::one_of(kiln::codegen::schedule_names([](const kiln::codegen::ScheduleTraits& t) { return t.takes_plans; }),
                                       "schedule that takes plans"))->capture_default_str();
    app.add_option("--batch", options.batch_estimate, "the batch to tune for")->check(kiln::tools::number_in(1, 1 << 16))->capture_default_str();
    app.add_option("--target", options.target, "Halide target (default: HL_JIT_TARGET or the host)");
    app.add_option("--machine", options.machine, "machine model: host or a named CPU, with ,field=value overrides")
        ->capture_default_str();
    app.add_option("--candidates", options.max_candidates, "plans measured per group, the cost model's included")
        ->check(kiln::tools::number_in(1, 1000))->capture_default_str();
    app.add_flag("--packed-weights", options.packed_weights,
                 "tune for prepared weights (JitOptions::packed_weights): 3x3 convs may take Winograd's algorithm");
    const std::string usage = "kiln-tune NET [--out FILE] [--seconds S] [--schedule fused|unfused] [--batch B] [--target T] "
                              "[--machine M] [--candidates N] [--packed-weights]";
    if (const int done = kiln::tools::parse(app, argc, argv, usage); done >= 0) return done;

    if (out.empty()) out = kiln::tools::net_file_stem(name) + ".tuning.json";
    options.progress = [](const std::string& line) { std::fprintf(stderr, "kiln-tune: %s\n", line.c_str()); };
    try {
        kiln::codegen::Tuning start;
        if (std::filesystem::exists(out)) {
            start = kiln::codegen::Tuning::load(out);
            std::fprintf(stderr, "kiln-tune: %s has %zu entries; their groups are not tuned again\n", out.c_str(),
                         start.entries.size());
        }
        const std::size_t before = start.entries.size();
        const kiln::codegen::Tuning tuning = kiln::codegen::tune_net(kiln::tools::net_spec(name), options, std::move(start));
        tuning.save(out);
        std::printf("wrote %s: %zu entries (%zu new)\n", out.c_str(), tuning.entries.size(), tuning.entries.size() - before);
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln-tune: %s\n", e.what());
        return kiln::tools::failure;
    }
    return 0;
}
