// kiln against ONNX Runtime and PyTorch on whole real models, in one Google Benchmark run with
// interleaved repetitions (scripts/bench.sh models runs it and writes the report). The models are
// torchvision's architectures exported by bench/export_models.py into KILN_BENCH_MODELS (random
// weights, randomised batch-norm statistics, a free batch axis), each imported by kiln::onnx with
// batch norm folded into the convs, as ONNX Runtime folds it.
// Rows, per model and batch (1 and 8):
//   <model>/kiln            JIT, schedule `fused`, the cost model's plans, per-segment pipelines
//   <model>/kiln-packed     the same with its weights packed once (JitOptions::packed_weights, prepare())
//   <model>/kiln-tuned      kiln-packed with KILN_BENCH_TUNING's measured plans (kiln-tune), when set
//   <model>/onnxruntime     ONNX Runtime's CPU provider, all graph optimizations, one intra-op thread a
//                           core (bench/onnxruntime_serve.mjs in a child process)
//   <model>/pytorch         PyTorch eager, channels-last (bench/pytorch_blocks.py in a child process)
//   compile/<model>/kiln    the JIT compile, cold (no pipeline cached), in seconds
// Counters: GFLOP/s over the model's nominal MACs, as kiln counts them for every row. ceiling/fma
// is the machine's measured FMA peak. kiln's outputs are checked against ONNX Runtime's by the
// test suite's ONNX cases, not here.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "kiln/codegen/jit.hpp"
#include "kiln/onnx/import.hpp"
#include "machine_ceilings.hpp"
#include "progress_reporter.hpp"
#include "served_peer.hpp"

namespace {
using namespace kiln;

// In the order of the report: the residual nets, then the light ones, then the branching ones, then
// those of today (squeeze-excitation, channel shuffles, ConvNeXt's channels-last blocks).
const std::vector<std::string> model_names = {"resnet18",   "resnet50",      "resnext50_32x4d", "mobilenet_v2",
                                              "mnasnet1_0", "squeezenet1_1", "googlenet",       "densenet121",
                                              "efficientnet_b0", "mobilenet_v3_small", "regnet_y_400mf", "shufflenet_v2_x1_0",
                                              "convnext_tiny"};
const std::vector<int> batches = {1, 8};

struct Model {
    std::string name, path;
    onnx::ImportedNet net;
};

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

void gflop_counter(benchmark::State& state, const Model& m, int batch) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * double(m.net.spec.macs) * batch, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

Tensor random_tensor(std::size_t batch, Shape shape, unsigned seed) {
    Tensor t(batch, shape);
    std::mt19937 rng(seed);
    for (auto& v : t.values()) v = std::uniform_real_distribution<float>(0, 1)(rng);
    return t;
}

const codegen::Tuning& bench_tuning() {
    static const codegen::Tuning tuning = [] {
        const std::string path = env_or("KILN_BENCH_TUNING", "");
        return path.empty() ? codegen::Tuning{} : codegen::Tuning::load(path);
    }();
    return tuning;
}

codegen::JitOptions options_for(const std::string& row, int batch) {
    codegen::JitOptions options{"fused", batch};
    options.packed_weights = row != "kiln";
    if (row == "kiln-tuned") options.tuning = bench_tuning();
    return options;
}

// Compiled once per (model, row, batch): Google Benchmark calls a benchmark once per repetition.
const codegen::JitNet& compiled(const Model& m, const std::string& row, int batch) {
    static std::map<std::string, std::unique_ptr<codegen::JitNet>> cache;
    std::unique_ptr<codegen::JitNet>& net = cache[m.name + "/" + row + "/" + std::to_string(batch)];
    if (!net) net = std::make_unique<codegen::JitNet>(m.net.spec, options_for(row, batch));
    return *net;
}

void run_kiln(benchmark::State& state, const Model* m, const std::string& row) {
    const int batch = int(state.range(0));
    try {
        const codegen::JitNet& net = compiled(*m, row, batch);
        const Tensor in = random_tensor(std::size_t(batch), m->net.spec.input, 2);
        Tensor out(std::size_t(batch), m->net.spec.output);
        const codegen::PreparedWeights prepared = net.prepare(m->net.weights);  // once, as a user would
        const auto call = [&] { return row == "kiln" ? net.run(in, m->net.weights, out) : net.run(in, prepared, out); };
        for (int i = 0; i < 3; ++i) call();  // first touch, thread pool
        for (auto _ : state) {
            call();
            benchmark::DoNotOptimize(out.data());
        }
    } catch (const kiln::Error& e) {
        state.SkipWithError(e.what());
        return;
    }
    gflop_counter(state, *m, batch);
}

void run_peer(benchmark::State& state, const Model* m, bench::ServedPeer* peer, const std::string& workload) {
    const int batch = int(state.range(0));
    if (!peer->available() || !peer->prepare(workload, batch)) {
        state.SkipWithError(peer->why().c_str());
        return;
    }
    for (auto _ : state) state.SetIterationTime(peer->time_one_call());
    gflop_counter(state, *m, batch);
}

// Planned for batch 3, which no timed row uses, so no pipeline a timed row keeps alive can serve it
// from the cache: a cold compile, as a user's first.
void compile_time(benchmark::State& state, const Model* m) {
    for (auto _ : state) {
        codegen::JitNet::forget_unused_pipelines();
        const auto start = std::chrono::steady_clock::now();
        const codegen::JitNet net(m->net.spec, codegen::JitOptions{"fused", 3});
        state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        state.counters["pipelines"] = double(net.pipeline_count());
    }
}

std::vector<std::string> registered;

template <class F, class... Args>
benchmark::internal::Benchmark* add(const std::string& name, F f, Args&&... args) {
    registered.push_back(name);
    return benchmark::RegisterBenchmark(name.c_str(), f, std::forward<Args>(args)...);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string dir = env_or("KILN_BENCH_MODELS", "build/bench-models");
    // Compile progress would interleave with the table; the step lines of scripts/bench.sh say
    // what is happening.
    setenv("KILN_QUIET", "1", 0);
    try {
        bench_tuning();
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "models_bench: KILN_BENCH_TUNING: %s\n", e.what());
        return 2;
    }
    static std::vector<Model> models;
    models.reserve(model_names.size());
    for (const std::string& name : model_names) {
        const std::string path = dir + "/" + name + ".onnx";
        if (!std::filesystem::exists(path)) {
            std::fprintf(stderr, "models_bench: %s is missing (bench/export_models.py exports it); its rows are left out\n", path.c_str());
            continue;
        }
        onnx::ImportOptions import;
        import.fold_batch_norm = true;
        try {
            models.push_back({name, path, onnx::import_model(path, import)});
        } catch (const kiln::Error& e) {
            std::fprintf(stderr, "models_bench: %s does not import (%s); its rows are left out\n", path.c_str(), e.what());
        }
    }
    if (models.empty()) {
        std::fprintf(stderr, "models_bench: no model in %s (KILN_BENCH_MODELS); run bench/export_models.py %s first\n", dir.c_str(),
                     dir.c_str());
        return 2;
    }
    static bench::ServedPeer pytorch({env_or("KILN_PYTHON", "/usr/bin/python3"), KILN_BENCH_DIR "/pytorch_blocks.py", "--serve"});
    static bench::ServedPeer onnxruntime({env_or("KILN_NODE", "/usr/bin/node"), KILN_BENCH_DIR "/onnxruntime_serve.mjs",
                                          env_or("KILN_ONNXRUNTIME_NODE", "build/bench-peers/node_modules/onnxruntime-node")});
    benchmark::AddCustomContext("cpu", bench::cpu_model());
    benchmark::AddCustomContext("threads", std::to_string(std::thread::hardware_concurrency()));
    benchmark::AddCustomContext("halide", KILN_HALIDE_VERSION);
    benchmark::AddCustomContext("onnxruntime", onnxruntime.available() ? onnxruntime.version() : "unavailable: " + onnxruntime.why());
    benchmark::AddCustomContext("torch", pytorch.available() ? pytorch.version() : "unavailable: " + pytorch.why());
    benchmark::AddCustomContext("tuning", bench_tuning().entries.empty() ? "none (no kiln-tuned rows)" : env_or("KILN_BENCH_TUNING", ""));

    add("ceiling/fma", bench::fma_ceiling)->UseRealTime()->Repetitions(6)->ReportAggregatesOnly();
    for (const Model& m : models)
        add("compile/" + m.name + "/kiln", compile_time, &m)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(1);
    std::vector<std::string> kiln_rows = {"kiln", "kiln-packed"};
    if (!bench_tuning().entries.empty()) kiln_rows.push_back("kiln-tuned");
    for (const Model& m : models)
        for (int batch : batches) {
            const auto timed = [&](benchmark::internal::Benchmark* b) {
                registered.back() += "/" + std::to_string(batch);
                return b->Arg(batch)->Unit(benchmark::kMillisecond)->Repetitions(6)->ReportAggregatesOnly()->MinTime(0.3);
            };
            for (const std::string& row : kiln_rows) timed(add(m.name + "/" + row, run_kiln, &m, row))->UseRealTime();
            timed(add(m.name + "/onnxruntime", run_peer, &m, &onnxruntime, m.path))->UseManualTime();
            timed(add(m.name + "/pytorch", run_peer, &m, &pytorch, m.name))->UseManualTime();
        }
    bool interleaved = false;  // before Initialize, which takes Google Benchmark's flags out of argv
    for (int i = 1; i < argc; ++i) interleaved = interleaved || std::string(argv[i]).find("random_interleaving=true") != std::string::npos;
    benchmark::Initialize(&argc, argv);
    bench::ProgressReporter progress(bench::count_selected(registered, benchmark::GetBenchmarkFilter()), interleaved);
    benchmark::RunSpecifiedBenchmarks(&progress);
    benchmark::Shutdown();
}
