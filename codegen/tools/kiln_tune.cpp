// kiln-tune: measures each conv group's plans on this machine and writes the winners to a tuning
// file that JitOptions::tuning, kiln-inspect --tuning and kiln_add_net(... TUNING) read.
//
//   kiln-tune NET [--out FILE] [--seconds S] [--schedule fused|unfused] [--batch B] [--target T]
//                 [--machine M] [--candidates N]
//
// An existing FILE is read first: its entries are kept and their groups not tuned again, so one
// file can hold several nets, batches and machines. NET is one of the example nets (run without
// arguments for the list).
#include <cstdio>
#include <filesystem>
#include <string>

#include "example_nets.hpp"
#include "kiln/codegen/tune.hpp"
#include "kiln/runtime/error.hpp"

namespace {

const char* const usage_line =
    "usage: kiln-tune NET [--out FILE] [--seconds S] [--schedule fused|unfused] [--batch B] [--target T] [--machine M] "
    "[--candidates N]";

int usage(const std::string& why) {
    std::fprintf(stderr, "kiln-tune: %s\n%s\nnets:", why.c_str(), usage_line);
    for (const auto& n : kiln::tools::known_nets()) std::fprintf(stderr, " %s", n.first.c_str());
    std::fprintf(stderr, "\n");
    return 2;
}

// A whole positive number, or nullopt-like -1 for anything else ("8x", "", "-3").
long parse_count(const std::string& text) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stol(text);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage("which net?");
    const std::string name = argv[1];
    kiln::codegen::TuneOptions options;
    std::string out;
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) return usage("flag " + flag + " needs a value");
        const std::string value = argv[++i];
        if (flag == "--out") out = value;
        else if (flag == "--schedule") options.schedule = value;
        else if (flag == "--target") options.target = value;
        else if (flag == "--machine") options.machine = value;
        else if (flag == "--batch" || flag == "--candidates") {
            const long n = parse_count(value);
            if (n < 1) return usage(flag + " must be a whole number of at least 1, got '" + value + "'");
            (flag == "--batch" ? options.batch_estimate : options.max_candidates) = int(n);
        } else if (flag == "--seconds") {
            char* end = nullptr;
            options.seconds = std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0' || !(options.seconds > 0) || options.seconds > 1e6)
                return usage("--seconds must be a number of seconds above 0, got '" + value + "'");
        } else {
            return usage("unknown flag " + flag);
        }
    }
    const auto found = kiln::tools::known_nets().find(name);
    if (found == kiln::tools::known_nets().end()) return usage("unknown net '" + name + "'");
    if (out.empty()) out = name + ".tuning.json";
    options.progress = [](const std::string& line) {
        std::fprintf(stderr, "kiln-tune: %s\n", line.c_str());
    };
    try {
        kiln::codegen::Tuning start;
        if (std::filesystem::exists(out)) {
            start = kiln::codegen::Tuning::load(out);
            std::fprintf(stderr, "kiln-tune: %s has %zu entries; their groups are not tuned again\n", out.c_str(),
                         start.entries.size());
        }
        const std::size_t before = start.entries.size();
        const kiln::codegen::Tuning tuning = kiln::codegen::tune_net(found->second(), options, std::move(start));
        tuning.save(out);
        std::printf("wrote %s: %zu entries (%zu new)\n", out.c_str(), tuning.entries.size(), tuning.entries.size() - before);
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln-tune: %s\n", e.what());
        return 1;
    }
    return 0;
}
