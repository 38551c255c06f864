// libFuzzer harness for kiln's ONNX importer (scripts/fuzz.sh builds and runs it with ASan and
// UBSan): whatever the bytes, import_model_from_memory must return an imported net or throw
// kiln::Error, and an imported net's declaration must be writable. Any other exception, a crash, a
// leak or undefined behavior is a finding. Protobuf parses the bytes (and is not instrumented);
// what the fuzzer exercises is everything after: the graph checks, the walk, each operator's
// attribute and weight checks, the DSL's shape rules and the declaration writer. The seed corpus is
// models the importer accepts (tests/data/onnx, tests/fuzz/corpus/onnx's nets shaped like real
// exports, and ONNX's node tests, which fuzz.sh copies in).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "kiln/onnx/declaration.hpp"
#include "kiln/onnx/import.hpp"
#include "kiln/runtime/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (bool fold : {false, true}) {
        try {
            kiln::onnx::ImportOptions options;
            options.fold_batch_norm = fold;
            const kiln::onnx::ImportedNet net = kiln::onnx::import_model_from_memory(data, size, options, "fuzz input");
            if (kiln::onnx::declaration(net, {}).empty()) std::abort();
        } catch (const kiln::Error& e) {
            // The importer reports its own failures (anything but a kiln::Error inside it) as
            // kiln::Errors that say so: a finding all the same. Matched at the start, which the model
            // cannot write (its names, which the fuzzer learns to fill with this text, come later).
            if (std::strncmp(e.what(), "kiln: fuzz input: kiln's importer ", 34) == 0) {
                std::fprintf(stderr, "onnx importer failed inside: %s\n", e.what());
                std::abort();
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "onnx importer threw a non-kiln exception: %s\n", e.what());
            std::abort();
        }
    }
    return 0;
}
