// Inspection (see inspect.hpp).
#include "kiln/codegen/inspect.hpp"
#include "kiln/codegen/schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "kiln/runtime/atomic_file.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;

namespace {

bool schedule_fuses(const Lowered& net) { return schedule_traits(net.schedule_name).fuses; }

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
            // A group computed inside this one's tiles (schedule_fused) is part of its block: its
            // output is never stored, so neither written nor read back.
            const auto& inside = net.computed_inside_next_group;
            if (fuses && !blocks.empty() && std::find(inside.begin(), inside.end(), blocks.back().layers.back()) != inside.end()) {
                StoredBlock& producer = blocks.back();
                producer.layers.insert(producer.layers.end(), b.layers.begin(), b.layers.end());
                producer.stored_stage = b.stored_stage;
                producer.bytes_read += b.bytes_read - 4.0 * batch * elements(first.in);
                producer.bytes_written = b.bytes_written;
                producer.flops += b.flops;
                continue;
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
    if (!net.schedule_plan.empty()) out << "conv group plans (codegen/src/plan/conv_group_plan.cpp):\n" << net.schedule_plan;
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

namespace {

// Each layer's profiled milliseconds.
std::map<std::string, double> layer_ms(const Profile& profile) {
    std::map<std::string, double> ms;
    for (const auto& t : profile.stages)
        if (!t.layer.empty()) ms[t.layer] += t.ms;
    return ms;
}

std::string fixed(double v, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

// Where a layer is computed under the schedule, as print_report says it.
std::string placement(const StoredBlock& b, std::size_t layer) {
    if (b.layers.size() == 1) return "stored";
    return layer == b.layers.back() ? "stored, end of fused block" : "inside " + b.stored_stage + "'s tiles";
}

}  // namespace

Profile parse_profile(const std::string& report, const Lowered& net, int batch) {
    std::map<std::string, std::string> layer_of;
    for (const auto& l : net.layers)
        for (const auto& f : l.funcs) layer_of[f.name()] = l.spec->name;
    layer_of[net.output.name()] = net.layers.empty() ? "" : net.layers.back().spec->name;
    // "  l1_conv_conv$1:        52.651ms  (73%)   threads: 1.940  stack: 1536"
    static const std::regex line(R"(^\s+([A-Za-z_][A-Za-z0-9_$.]*):\s*([0-9.]+)ms\s*\(([0-9.]+)%\))");
    std::vector<StageTime> stages;
    std::map<std::string, std::size_t> index;
    std::istringstream in(report);
    for (std::string text; std::getline(in, text);) {
        std::smatch m;
        if (!std::regex_search(text, m, line)) continue;
        std::string stage = m[1].str();
        stage = stage.substr(0, stage.find('$'));
        const auto at = index.find(stage);
        if (at == index.end()) {
            std::string layer;
            if (const auto found = layer_of.find(stage); found != layer_of.end()) layer = found->second;
            // Stages Halide adds for a layer (a wrapper of its weights: l1_conv_weights_im_in_...)
            // start with its name.
            for (const auto& l : net.layers)
                if (layer.empty() && stage.rfind(l.spec->name + "_", 0) == 0) layer = l.spec->name;
            index[stage] = stages.size();
            stages.push_back({stage, layer, std::stod(m[2].str()), std::stod(m[3].str())});
        } else {
            stages[at->second].ms += std::stod(m[2].str());
        }
    }
    return {batch, stages};
}

std::string graphviz(const Lowered& net, int batch, const Profile& profile) {
    const auto ms = layer_ms(profile);
    std::ostringstream g;
    g << "digraph kiln {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=Helvetica];\n"
      << "  label=\"" << net.schedule_name << ", batch " << batch << (profile.empty() ? "" : ", times profiled at batch " + std::to_string(profile.batch)) << "\"; labelloc=t;\n"
      << "  input [label=\"input " << shape_text(net.spec.input) << "\", shape=oval];\n";
    const auto blocks = stored_blocks(net, batch);
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        const StoredBlock& block = blocks[b];
        const bool fused = block.layers.size() > 1;
        const std::string figures = fixed(block.flops / 1e6, 2) + " MFLOP, " + fixed(block.bytes_read / 1024, 1) + " KiB in, " +
                                    fixed(block.bytes_written / 1024, 1) + " KiB out, " + fixed(block.intensity(), 1) + " FLOP/B";
        if (fused)
            g << "  subgraph cluster_" << b << " {\n    label=\"fused into " << net.layers[block.layers.back()].spec->name << "\\n"
              << figures << "\";\n    style=filled; color=\"#f4a261\"; fillcolor=\"#fff1e6\";\n";
        for (std::size_t l : block.layers) {
            const LayerSpec& s = *net.layers[l].spec;
            std::string label = s.name + "\\n" + s.kind() + " -> " + shape_text(s.out);
            if (s.macs > 0) label += "\\n" + fixed(2.0 * double(s.macs) * batch / 1e6, 2) + " MFLOP";
            if (!fused) label += "\\n" + figures;
            if (const auto t = ms.find(s.name); t != ms.end()) label += "\\n" + fixed(t->second, 3) + " ms";
            g << (fused ? "    " : "  ") << s.name << " [label=\"" << label << "\"];\n";
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

std::string inspection_json(const Lowered& net, int batch, const Profile& profile) {
    using nlohmann::json;
    const auto blocks = stored_blocks(net, batch);
    auto shape = [](Shape s) { return json::array({s.h, s.w, s.c}); };
    json plans = json::array();
    std::istringstream plan_lines(net.schedule_plan);
    for (std::string line; std::getline(plan_lines, line);)
        if (!line.empty()) plans.push_back(line);
    json layers = json::array(), stored = json::array();
    std::map<std::size_t, std::size_t> block_of;
    for (std::size_t b = 0; b < blocks.size(); ++b)
        for (std::size_t l : blocks[b].layers) block_of[l] = b;
    const auto ms = layer_ms(profile);
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const LayerSpec& s = *net.layers[i].spec;
        json stages = json::array();
        for (const auto& f : net.layers[i].funcs) stages.push_back(f.name());
        json layer = {{"name", s.name},     {"kind", s.kind()},          {"input", shape(s.in)},
                      {"output", shape(s.out)}, {"macs", double(s.macs) * batch}, {"flops", 2.0 * double(s.macs) * batch},
                      {"stages", stages},   {"block", block_of.at(i)},   {"placement", placement(blocks[block_of.at(i)], i)}};
        if (const auto t = ms.find(s.name); t != ms.end()) layer["profiled_ms"] = t->second;  // at the profile's batch
        layers.push_back(layer);
    }
    double flops = 0, read = 0, written = 0;
    for (const auto& b : blocks) {
        json names = json::array();
        for (std::size_t l : b.layers) names.push_back(net.layers[l].spec->name);
        stored.push_back({{"stored_stage", b.stored_stage}, {"layers", names}, {"flops", b.flops}, {"bytes_read", b.bytes_read},
                          {"bytes_written", b.bytes_written}, {"flop_per_byte", b.intensity()}});
        flops += b.flops, read += b.bytes_read, written += b.bytes_written;
    }
    json doc = {{"schedule", net.schedule_name},
                {"batch", batch},
                {"machine", net.machine},
                {"input", shape(net.spec.input)},
                {"output", shape(net.spec.output)},
                {"plans", plans},
                {"layers", layers},
                {"stored_blocks", stored},
                {"total", {{"flops", flops}, {"bytes_read", read}, {"bytes_written", written}, {"flop_per_byte", flops / std::max(1.0, read + written)}}}};
    if (!profile.empty()) {
        json stages = json::array();
        for (const auto& t : profile.stages) stages.push_back({{"stage", t.stage}, {"layer", t.layer}, {"ms", t.ms}, {"percent", t.percent}});
        doc["profile"] = {{"batch", profile.batch}, {"stages", stages}};
    }
    return doc.dump(2) + "\n";
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
        write_file_atomically(path, [&](const std::string& temporary) {
            Pipeline(net.output).compile_to_lowered_stmt(temporary, pipeline_arguments(net), html ? HTML : Text, target);
        });
    } catch (const Halide::Error& e) {
        throw Error("Halide could not lower the net for " + path + ": " + e.what());
    }
}

void write_assembly(const Lowered& net, const std::string& path, const Target& target) {
    try {
        write_file_atomically(path, [&](const std::string& temporary) {
            Pipeline(net.output).compile_to_assembly(temporary, pipeline_arguments(net), "kiln_net", target);
        });
    } catch (const Halide::Error& e) {
        throw Error("Halide could not compile the net for " + path + ": " + e.what());
    }
}

}  // namespace kiln::codegen
