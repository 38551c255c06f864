// What kiln's command-line tools share: CLI11 parsing with one exit-code contract (0 for --help and
// --version, 2 for a usage error, with the reason naming the flag and the usage line; the tools
// return 1 for a failure after parsing), and the validators for kiln's names.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "kiln/version.hpp"

namespace kiln::tools {

constexpr int usage_error = 2;
constexpr int failure = 1;

inline void add_version(CLI::App& app) {
    app.set_version_flag("--version", std::string(app.get_name()) + " (kiln) " + kiln::version);
}

// Parses; on --help or --version prints and returns 0, on a bad command line prints why and the
// usage and returns usage_error; otherwise returns -1 (go on).
inline int parse(CLI::App& app, int argc, char** argv, const std::string& usage) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
        return 0;
    } catch (const CLI::CallForVersion&) {
        std::printf("%s\n", app.version().c_str());
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: %s\nusage: %s (--help for more)\n", app.get_name().c_str(), e.what(), usage.c_str());
        return usage_error;
    }
    return -1;
}

// A number of type T in [lo, hi], said plainly when it is not one ("'3x' is not a whole number").
template <class T>
CLI::Validator number_in(T lo, T hi) {
    const std::string range = "[" + CLI::detail::to_string(lo) + ", " + CLI::detail::to_string(hi) + "]";
    return CLI::Validator(
        [lo, hi, range](std::string& value) -> std::string {
            T parsed{};
            if (!CLI::detail::lexical_cast(value, parsed))
                return "'" + value + "' is not " + (std::is_integral_v<T> ? "a whole number" : "a number");
            if (!(parsed >= lo && parsed <= hi)) return value + " is outside " + range;
            return "";
        },
        range, "number in " + range);
}

// One of `names`, listed in the error ("--schedule: 'fuzed' is not one of fused, unfused, ...").
inline CLI::Validator one_of(const std::vector<std::string>& names, const std::string& what) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return CLI::Validator(
        [names, what, list](std::string& value) -> std::string {
            for (const auto& n : names)
                if (value == n) return "";
            return "'" + value + "' is not a known " + what + " (" + list + ")";
        },
        what, what);
}

}  // namespace kiln::tools
