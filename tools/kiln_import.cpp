// kiln-import: an ONNX model in, a kiln declaration and its weights out.
//
//   kiln-import MODEL.onnx --out DIR [--name N] [--namespace NS] [--fold-batch-norm]
//   kiln-import MODEL.onnx --run INPUT.pb [--schedule S] [--output OUT.pb]
//
// --out writes DIR/N.hpp (the net as a C++ type, one layer per line with the ONNX node and shape it
// came from) and DIR/N.safetensors (its weights in kiln's layout under kiln's names; the metadata
// names each tensor's ONNX initializer), both or neither: a model kiln cannot map writes nothing
// and says which node, operator and attribute stopped it. --run JIT-compiles the imported net, with
// no C++ compiler, and runs it on an ONNX TensorProto; --output writes the result as one. Exit
// status: 0 done, 1 the model could not be imported or run, 2 bad command line.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/dsl/summary.hpp"
#include "kiln/onnx/declaration.hpp"
#include "kiln/onnx/import.hpp"
#include "kiln/runtime/atomic_file.hpp"
#include "kiln/runtime/safetensors.hpp"

namespace fs = std::filesystem;

namespace {

bool identifier(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    for (char ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
    return true;
}

CLI::Validator cpp_identifier(const char* what) {
    return CLI::Validator([what](std::string& v) { return identifier(v) ? "" : "'" + v + "' is not a C++ identifier (" + what + ")"; }, "NAME",
                          "identifier");
}

// Both files or neither (kiln/runtime/atomic_file.hpp): the declaration is written out first, the
// weights then saved, and only then is the declaration put in place.
void write_outputs(const kiln::onnx::ImportedNet& net, const std::string& model, const std::string& dir, const std::string& ns) {
    std::error_code made;
    fs::create_directories(dir, made);
    if (made) throw kiln::Error("could not create --out directory " + dir + ": " + made.message());
    const fs::path header = fs::path(dir) / (net.name + ".hpp"), weights = fs::path(dir) / (net.name + ".safetensors");
    const std::string declaration =
        kiln::onnx::declaration(net, kiln::onnx::DeclarationOptions{ns, fs::path(model).filename().string(), weights.filename().string()});
    std::map<std::string, std::string> metadata{{"onnx_model", fs::path(model).filename().string()}};
    for (const auto& [tensor, source] : net.weight_sources) metadata["onnx:" + tensor] = source;
    kiln::AtomicFile header_file(header.string());
    header_file.write(declaration);
    kiln::save_safetensors(net.weights, weights.string(), metadata);
    header_file.commit();
    std::fprintf(stderr, "wrote %s\nwrote %s\n", header.c_str(), weights.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("kiln-import: an ONNX model as a kiln net declaration and its weights", "kiln-import");
    kiln::tools::add_version(app);
    std::string model, out, name, ns = "imported", run, output, schedule = "default";
    bool fold = false, prepared = false;
    app.add_option("model", model, "the ONNX model (.onnx)")->required()->check(CLI::ExistingFile);
    app.add_option("--out", out, "write DIR/NAME.hpp and DIR/NAME.safetensors");
    app.add_option("--name", name, "the net's C++ name (default: the graph's)")->check(cpp_identifier("--name"));
    app.add_option("--namespace", ns, "the C++ namespace of the declaration")->check(cpp_identifier("--namespace"));
    app.add_flag("--fold-batch-norm", fold, "fold a BatchNormalization after a Conv into the conv's weights");
    app.add_option("--run", run, "JIT-compile the net and run it on this TensorProto (.pb)")->check(CLI::ExistingFile);
    app.add_option("--schedule", schedule, "schedule for --run")->check(kiln::tools::one_of(kiln::codegen::schedule_names(), "schedule"));
    app.add_option("--output", output, "with --run: write the output as a TensorProto");
    app.add_flag("--prepared-weights", prepared,
                 "with --run: prepare the weights once (packed, Winograd-transformed where the plan says), as a deployed net would");
    const std::string usage = "kiln-import MODEL.onnx (--out DIR [--name N] [--namespace NS] [--fold-batch-norm] | --run INPUT.pb [--output OUT.pb] [--prepared-weights])";
    if (const int rc = kiln::tools::parse(app, argc, argv, usage); rc >= 0) return rc;
    if (out.empty() && run.empty()) {
        std::fprintf(stderr, "kiln-import: nothing to do: give --out DIR, --run INPUT.pb or both\nusage: %s (--help for more)\n", usage.c_str());
        return kiln::tools::usage_error;
    }
    if (prepared && run.empty()) {
        std::fprintf(stderr, "kiln-import: --prepared-weights needs --run\nusage: %s (--help for more)\n", usage.c_str());
        return 2;
    }
    if (!output.empty() && run.empty()) {
        std::fprintf(stderr, "kiln-import: --output needs --run\nusage: %s (--help for more)\n", usage.c_str());
        return kiln::tools::usage_error;
    }
    try {
        kiln::onnx::ImportOptions options;
        options.name = name;
        options.fold_batch_norm = fold;
        const kiln::onnx::ImportedNet net = kiln::onnx::import_model(model, options);
        std::printf("%s (ONNX opset %d):\n", net.name.c_str(), net.opset);
        kiln::print_summary(std::cout, net.spec);
        std::cout.flush();
        if (!out.empty()) write_outputs(net, model, out, ns);
        if (!run.empty()) {
            const kiln::Tensor input = kiln::onnx::to_kiln(kiln::onnx::read_tensor_file(run), net.input);
            kiln::codegen::JitOptions options{schedule};
            options.packed_weights = prepared;
            const kiln::codegen::JitNet compiled(net.spec, options);
            const kiln::Tensor computed = prepared ? compiled.run(input, compiled.prepare(net.weights)) : compiled.run(input, net.weights);
            kiln::onnx::OnnxTensor result = kiln::onnx::from_kiln(computed, net.output);
            result.name = net.output_name;
            if (!output.empty()) {
                kiln::onnx::write_tensor_file(result, output);
                std::fprintf(stderr, "wrote %s\n", output.c_str());
            } else {
                std::printf("output '%s':", net.output_name.c_str());
                for (std::size_t i = 0; i < result.floats.size() && i < 16; ++i) std::printf(" %g", result.floats[i]);
                std::printf("%s\n", result.floats.size() > 16 ? " ..." : "");
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-import: %s\n", e.what());
        return kiln::tools::failure;
    }
    return 0;
}
