// Inspection (see inspect.hpp).
#include "kiln/codegen/inspect.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;

namespace {

bool schedule_fuses(const Lowered& net) {
    return net.schedule_name == "fused" || net.schedule_name == "cuda" || net.schedule_name == "default";
}

double elements(Shape s) { return double(s.h) * double(s.w) * double(s.c); }

std::string shape_text(Shape s) { return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c); }

}  // namespace

std::vector<StoredBlock> stored_blocks(const Lowered& net, int batch) {
    std::vector<StoredBlock> blocks;
    const bool fuses = schedule_fuses(net);
    for (const FusionGroup& g : fusion_groups(net)) {
        std::vector<std::vector<std::size_t>> runs;
        if (fuses) runs.push_back(g.layers);
        else
            for (std::size_t l : g.layers) runs.push_back({l});
        for (const auto& run : runs) {
            StoredBlock b;
            b.layers = run;
            const LayerSpec& first = *net.layers[run.front()].spec;
            const LayerSpec& last = *net.layers[run.back()].spec;
            b.stored_stage = is_last_layer(net, run.back()) ? net.output.name() : net.layers[run.back()].output.name();
            const bool composite = !first.children.empty();  // its branches are blocks of their own
            b.bytes_read = composite ? 0 : 4.0 * batch * elements(first.in);
            if (composite)
                for (const auto& branch : first.children) b.bytes_read += 4.0 * batch * elements(branch.empty() ? first.in : branch.back().out);
            b.bytes_written = 4.0 * batch * elements(last.out);
            for (std::size_t l : run) {
                const LayerSpec& s = *net.layers[l].spec;
                b.flops += 2.0 * double(s.macs) * batch;
                for (const auto& p : s.params) b.bytes_read += 4.0 * double(p.elements());
            }
            blocks.push_back(std::move(b));
        }
    }
    return blocks;
}

void print_report(std::ostream& out, const Lowered& net, int batch) {
    const auto blocks = stored_blocks(net, batch);
    std::map<std::size_t, std::size_t> block_of;
    for (std::size_t b = 0; b < blocks.size(); ++b)
        for (std::size_t l : blocks[b].layers) block_of[l] = b;
    char line[512];
    out << "schedule " << net.schedule_name << ", batch " << batch << "\nmachine " << net.machine << "\n";
    if (!net.schedule_plan.empty()) out << "conv group plans (codegen/src/plan_conv_group.cpp):\n" << net.schedule_plan;
    out << "\n";
    std::snprintf(line, sizeof line, "%-16s %-10s %-12s %-44s %s\n", "layer", "kind", "output", "Halide stages", "computed");
    out << line;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const LayerStages& l = net.layers[i];
        std::string stages;
        for (const auto& f : l.funcs) stages += (stages.empty() ? "" : " ") + f.name();
        const StoredBlock& b = blocks[block_of.at(i)];
        std::string where;
        if (b.layers.size() == 1) where = "stored (" + b.stored_stage + ")";
        else if (i == b.layers.back()) where = "stored (" + b.stored_stage + "), fused block of " + std::to_string(b.layers.size());
        else where = "inside " + b.stored_stage + "'s tiles, never stored whole";
        std::snprintf(line, sizeof line, "%-16s %-10s %-12s %-44s %s\n", l.spec->name.c_str(), l.spec->kind(),
                      shape_text(l.spec->out).c_str(), stages.c_str(), where.c_str());
        out << line;
    }
    out << "\nstored blocks (root-level traffic: input + learned tensors read once, output written once)\n";
    std::snprintf(line, sizeof line, "%-28s %12s %12s %12s %10s\n", "block (stored stage)", "MFLOP", "KiB read", "KiB written",
                  "FLOP/byte");
    out << line;
    double flops = 0, bytes = 0;
    for (const auto& b : blocks) {
        std::snprintf(line, sizeof line, "%-28s %12.2f %12.1f %12.1f %10.1f\n", b.stored_stage.c_str(), b.flops / 1e6,
                      b.bytes_read / 1024, b.bytes_written / 1024, b.intensity());
        out << line;
        flops += b.flops, bytes += b.bytes_read + b.bytes_written;
    }
    std::snprintf(line, sizeof line, "%-28s %12.2f %25.1f %10.1f\n", "total", flops / 1e6, bytes / 1024, flops / std::max(1.0, bytes));
    out << line;
}

std::string loop_nest(const Lowered& net) {
    // Halide 14 prints the loop nest to std::cerr; capture it.
    std::ostringstream captured;
    std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
    try {
        Pipeline(net.output).print_loop_nest();
    } catch (...) {
        std::cerr.rdbuf(old);
        throw;
    }
    std::cerr.rdbuf(old);
    return captured.str();
}

std::string graphviz(const Lowered& net) {
    std::ostringstream g;
    g << "digraph kiln {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=Helvetica];\n"
      << "  input [label=\"input " << shape_text(net.spec.input) << "\", shape=oval];\n";
    const auto blocks = stored_blocks(net, 1);
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        const bool fused = blocks[b].layers.size() > 1;
        if (fused)
            g << "  subgraph cluster_" << b << " {\n    label=\"fused: " << blocks[b].stored_stage
              << "\";\n    style=filled; color=\"#f4a261\"; fillcolor=\"#fff1e6\";\n";
        for (std::size_t l : blocks[b].layers) {
            const LayerSpec& s = *net.layers[l].spec;
            g << (fused ? "    " : "  ") << s.name << " [label=\"" << s.name << "\\n" << s.kind() << " -> " << shape_text(s.out) << "\"];\n";
        }
        if (fused) g << "  }\n";
    }
    // Edges: each layer reads the previous one of its sequence; a sequence's first layer reads the
    // sequence's input; composites read their branches' last layers.
    std::function<void(const std::vector<LayerSpec>&, const std::string&)> edges = [&](const std::vector<LayerSpec>& seq,
                                                                                         const std::string& from) {
        std::string prev = from;
        for (const auto& s : seq) {
            if (s.children.empty()) {
                g << "  " << prev << " -> " << s.name << ";\n";
            } else {
                for (const auto& branch : s.children) {
                    edges(branch, prev);
                    g << "  " << (branch.empty() ? prev : branch.back().name) << " -> " << s.name << ";\n";
                }
            }
            prev = s.name;
        }
    };
    edges(net.spec.layers, "input");
    g << "}\n";
    return g.str();
}

namespace {

std::vector<Argument> pipeline_arguments(const Lowered& net) {
    std::vector<Argument> args = {net.input};
    for (const auto& p : net.param_list()) args.push_back(p);
    return args;
}

}  // namespace

void write_stmt(const Lowered& net, const std::string& path, const Target& target) {
    const bool html = path.size() >= 5 && path.substr(path.size() - 5) == ".html";
    try {
        Pipeline(net.output).compile_to_lowered_stmt(path, pipeline_arguments(net), html ? HTML : Text, target);
    } catch (const Halide::Error& e) {
        throw Error("Halide could not lower the net for " + path + ": " + e.what());
    }
}

void write_assembly(const Lowered& net, const std::string& path, const Target& target) {
    try {
        Pipeline(net.output).compile_to_assembly(path, pipeline_arguments(net), "kiln_net", target);
    } catch (const Halide::Error& e) {
        throw Error("Halide could not compile the net for " + path + ": " + e.what());
    }
}

}  // namespace kiln::codegen
