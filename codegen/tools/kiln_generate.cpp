// kiln's build-time generator (run by kiln_add_net, cmake/KilnAot.cmake). Built once per net with
// KILN_NET_HEADER and KILN_NET_TYPE naming the user's declaration; built without them, it only
// writes the shared Halide runtime.
//
//   generator --name N --out DIR [--schedule S] [--target T] [--batch B] [--machine M] [--tuning FILE]
//   generator --runtime FILE.o --target T
#include <cstdio>
#include <string>

#include "kiln/codegen/aot.hpp"
#include "kiln/runtime/error.hpp"

#ifdef KILN_NET_TYPE
#include KILN_NET_HEADER
#include "kiln/dsl/describe.hpp"
#endif

int main(int argc, char** argv) {
    kiln::codegen::AotOptions options;
    std::string runtime;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string flag = argv[i];
            if (i + 1 >= argc) throw kiln::Error("flag " + flag + " needs a value");
            const std::string value = argv[++i];
            if (flag == "--name") options.name = value;
            else if (flag == "--out") options.output_dir = value;
            else if (flag == "--schedule") options.schedule = value;
            else if (flag == "--target") options.target = value;
            else if (flag == "--batch") options.batch_estimate = std::stoi(value);
            else if (flag == "--machine") options.machine = value;
            else if (flag == "--tuning") options.tuning = kiln::codegen::Tuning::load(value);
            else if (flag == "--runtime") runtime = value;
            else throw kiln::Error("unknown flag " + flag);
        }
        if (!runtime.empty()) {
            kiln::codegen::generate_runtime(runtime, options.target);
            return 0;
        }
#ifdef KILN_NET_TYPE
        const std::string plans = kiln::codegen::generate_kernel(kiln::describe<KILN_NET_TYPE>(), options);
        // Build logs say which groups a tuning file reached: a file for another machine or
        // shape matches nothing, and silently getting the cost model's plans would hide that.
        if (!options.tuning.entries.empty()) std::printf("kiln generator: %s plans:\n%s", options.name.c_str(), plans.c_str());
        return 0;
#else
        throw kiln::Error("this generator was built without a net; it only writes runtimes (--runtime)");
#endif
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln generator: %s\n", e.what());
        return 1;
    }
}
