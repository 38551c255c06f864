// ONNX's backend test cases (Debian's libonnx-testdata) through kiln: every case's model imported,
// JIT-compiled under `fused` and `unfused`, run on the case's input and compared with its expected
// output at ONNX's backend tolerances (|got - want| <= 1e-7 + 1e-3 |want|). A case whose model kiln
// cannot import is listed with the importer's reason; a case it imports must pass.
//
//   onnx_conformance DATA_DIR [--headers DIR]   (DATA_DIR: e.g. /usr/share/libonnx-testdata/data/node)
//
// With --headers, each imported net's declaration is written to DIR with check_headers.cpp, a
// program that compares describe<Net>() of every header with the import's NetSpec (the CTest case
// onnx.headers.* compiles and runs it). Exit status 1 when any imported case fails.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "kiln/codegen/jit.hpp"
#include "kiln/dsl/signature.hpp"
#include "kiln/onnx/declaration.hpp"
#include "kiln/onnx/import.hpp"
#include "kiln/runtime/error.hpp"

namespace fs = std::filesystem;
using namespace kiln;
namespace ko = kiln::onnx;

namespace {

struct Counts {
    int passed = 0, failed = 0, unsupported = 0;
};

std::string ops_of(const ::onnx::ModelProto& m) {
    std::set<std::string> ops;
    for (const auto& n : m.graph().node())
        if (n.op_type() != "Constant") ops.insert(n.op_type());
    std::string s;
    for (const auto& op : ops) s += (s.empty() ? "" : "+") + op;
    return s;
}

// The largest violation of |got - want| <= atol + rtol |want|, as a multiple of the bound (<= 1 passes).
double worst_violation(const ko::OnnxTensor& got, const ko::OnnxTensor& want, std::string& detail) {
    if (got.dims != want.dims) {
        detail = "output dims differ";
        return INFINITY;
    }
    double worst = 0;
    for (std::size_t i = 0; i < want.floats.size(); ++i) {
        const double g = got.floats[i], w = want.floats[i];
        if (std::isnan(g) && std::isnan(w)) continue;
        if (std::isinf(w) && g == w) continue;
        const double ratio = std::fabs(g - w) / (1e-7 + 1e-3 * std::fabs(w));
        if (!(ratio <= worst)) {
            worst = std::isnan(ratio) ? INFINITY : ratio;
            detail = "value " + std::to_string(i) + ": got " + std::to_string(g) + ", want " + std::to_string(w);
        }
    }
    return worst;
}

std::string identifier(std::string s) {
    for (char& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--headers")) {
        std::fprintf(stderr, "usage: onnx_conformance DATA_DIR [--headers DIR]\n");
        return 2;
    }
    const fs::path data = argv[1];
    const std::string headers = argc == 4 ? argv[3] : "";
    if (!fs::is_directory(data)) {
        std::fprintf(stderr, "onnx_conformance: %s is not a directory (install libonnx-testdata)\n", data.c_str());
        return 2;
    }
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(data))
        if (fs::exists(e.path() / "model.onnx") && fs::is_directory(e.path() / "test_data_set_0")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    std::map<std::string, Counts> by_op;
    Counts total;
    std::ostringstream checks;
    if (!headers.empty()) fs::create_directories(headers);

    for (const fs::path& dir : cases) {
        const std::string name = dir.filename().string();
        ::onnx::ModelProto model;
        {
            std::ifstream in(dir / "model.onnx", std::ios::binary);
            if (!model.ParseFromIstream(&in)) {
                std::printf("UNSUPPORTED %s: not a readable ModelProto\n", name.c_str());
                ++total.unsupported;
                continue;
            }
        }
        const std::string ops = ops_of(model);
        Counts& counts = by_op[ops];
        try {
            // The inputs that are not initializers, in order, are input_0.pb, input_1.pb, ...: the
            // first is the data, the rest (a node test's weights) constants.
            std::set<std::string> initialized;
            for (const auto& t : model.graph().initializer()) initialized.insert(t.name());
            std::vector<std::string> inputs;
            for (const auto& v : model.graph().input())
                if (!initialized.count(v.name())) inputs.push_back(v.name());
            ko::ImportOptions options;
            options.name = "Net";
            ko::OnnxTensor data_input;
            for (std::size_t k = 0; k < inputs.size(); ++k) {
                const fs::path pb = dir / "test_data_set_0" / ("input_" + std::to_string(k) + ".pb");
                if (!fs::exists(pb)) throw Error("no " + pb.filename().string() + " for input '" + inputs[k] + "'");
                ko::OnnxTensor t = ko::read_tensor_file(pb);
                if (k == 0) data_input = std::move(t);
                else options.constants[inputs[k]] = std::move(t);
            }
            const ko::ImportedNet net = ko::import_model((dir / "model.onnx").string(), options);
            const ko::OnnxTensor want = ko::read_tensor_file((dir / "test_data_set_0" / "output_0.pb").string());
            const Tensor input = ko::to_kiln(data_input, net.input);
            std::string failure;
            for (const char* schedule : {"fused", "unfused"}) {
                codegen::JitOptions jit{schedule};
                jit.progress = nullptr;
                std::string detail;
                double worst;
                try {
                    const codegen::JitNet compiled(net.spec, jit);
                    worst = worst_violation(ko::from_kiln(compiled.run(input, net.weights), net.output), want, detail);
                } catch (const std::exception& e) {
                    worst = INFINITY, detail = e.what();
                }
                if (!(worst <= 1)) failure += std::string(failure.empty() ? "" : "; ") + schedule + ": " + detail;
            }
            if (failure.empty()) {
                std::printf("PASS        %s (%s)\n", name.c_str(), ops.c_str());
                ++counts.passed, ++total.passed;
            } else {
                std::printf("FAIL        %s (%s): %s\n", name.c_str(), ops.c_str(), failure.c_str());
                ++counts.failed, ++total.failed;
            }
            if (!headers.empty()) {
                const std::string ns = identifier(name);
                ko::DeclarationOptions d{ns, (dir / "model.onnx").string(), ""};
                std::ofstream(fs::path(headers) / (ns + ".hpp")) << ko::declaration(net, d);
                checks << "#include \"" << ns << ".hpp\"\n";
                checks << "static const int check_" << ns << " = same(kiln::net_signature(kiln::describe<" << ns << "::Net>()), R\"kiln("
                       << net_signature(net.spec) << ")kiln\", \"" << ns << "\");\n";
            }
        } catch (const Error& e) {
            std::printf("UNSUPPORTED %s (%s): %s\n", name.c_str(), ops.c_str(), e.what());
            ++counts.unsupported, ++total.unsupported;
        }
        std::fflush(stdout);
    }
    std::printf("\nper operator set: passed / failed / unsupported\n");
    for (const auto& [ops, c] : by_op)
        if (c.passed + c.failed > 0 || ops.find('+') == std::string::npos)
            std::printf("  %-28s %3d / %d / %d\n", ops.c_str(), c.passed, c.failed, c.unsupported);
    std::printf("%d cases: %d imported and passed, %d imported and failed, %d not supported by the importer\n", int(cases.size()),
                total.passed, total.failed, total.unsupported);
    if (!headers.empty()) {
        std::ofstream out(fs::path(headers) / "check_headers.cpp");
        out << "// Generated by onnx_conformance: describe<Net>() of each generated header against the import's NetSpec.\n"
               "#include <cstdio>\n#include <string>\n\n#include \"kiln/dsl/describe.hpp\"\n#include \"kiln/dsl/signature.hpp\"\n\n"
               "static int failures = 0, checked = 0;\n"
               "static int same(const std::string& declared, const std::string& imported, const char* name) {\n"
               "    ++checked;\n"
               "    if (declared == imported) return 0;\n"
               "    std::printf(\"%s: the header declares\\n  %s\\nbut the import built\\n  %s\\n\", name, declared.c_str(), imported.c_str());\n"
               "    return ++failures;\n}\n\n"
            << checks.str()
            << "\nint main() {\n    std::printf(\"%d passed, %d failed\\n\", checked - failures, failures);\n    return failures ? 1 : 0;\n}\n";
    }
    std::printf("%d passed, %d failed\n", total.passed, total.failed);
    return total.failed ? 1 : 0;
}
