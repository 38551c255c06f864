// Tuning files and keys (see tuning.hpp).
#include "kiln/codegen/tuning.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kiln/dsl/layer_fields.hpp"
#include "kiln/runtime/atomic_file.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

namespace {

using nlohmann::json;

std::string shape(Shape s) { return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c); }
std::string pair(Extent2 e) { return std::to_string(e.h) + "x" + std::to_string(e.w); }
std::string pads(Pads rows, Pads cols) {
    return std::to_string(rows.begin) + "," + std::to_string(rows.end) + "," + std::to_string(cols.begin) + "," +
           std::to_string(cols.end);
}

nlohmann::ordered_json plan_json(const ConvGroupPlan& plan) {
    nlohmann::ordered_json j;
    j["loop"] = loop_name(plan.loop);
    for (const auto& f : conv_group_plan_fields) j[f.name] = plan.*f.member;
    return j;
}

ConvGroupPlan plan_from_json(const json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where + ": \"plan\" must be an object");
    ConvGroupPlan plan;
    const std::string loop = j.contains("loop") && j["loop"].is_string() ? j["loop"].get<std::string>() : "";
    if (const auto l = loop_from_name(loop)) plan.loop = *l;
    else throw Error(where + ": plan \"loop\" must be channel_rows, register_tiles, reduction_blocks or serial_channel_blocks");
    for (const auto& f : conv_group_plan_fields) {
        if (f.optional && !j.contains(f.name)) continue;
        if (!j.contains(f.name) || !j[f.name].is_number_integer())
            throw Error(where + ": plan field \"" + f.name + "\" is missing or not an integer");
        const long long v = j[f.name].get<long long>();
        if (v < f.min || v > (1 << 20)) throw Error(where + ": plan field \"" + f.name + "\" = " + std::to_string(v) + " is out of range");
        plan.*f.member = int(v);
    }
    for (const auto& item : j.items())
        if (item.key() != "loop" && std::none_of(conv_group_plan_fields.begin(), conv_group_plan_fields.end(),
                                                 [&](const ConvGroupPlanField& f) { return item.key() == f.name; }))
            throw Error(where + ": unknown plan field \"" + item.key() + "\"");
    return plan;
}

}  // namespace

const TunedPlan* Tuning::find(const std::string& key) const {
    const auto found = entries.find(key);
    return found == entries.end() ? nullptr : &found->second;
}

Tuning Tuning::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error("could not open tuning file " + path);
    json doc;
    try {
        doc = json::parse(in);
    } catch (const json::exception& e) {
        throw Error("tuning file " + path + " is not JSON: " + e.what());
    }
    if (!doc.is_object() || !doc.contains("kiln_tuning") || doc["kiln_tuning"] != 1 || !doc.contains("entries") ||
        !doc["entries"].is_array())
        throw Error("tuning file " + path + " is not a kiln tuning file (version 1): it needs \"kiln_tuning\": 1 and an \"entries\" array");
    Tuning tuning;
    for (std::size_t i = 0; i < doc["entries"].size(); ++i) {
        const json& e = doc["entries"][i];
        const std::string where = "tuning file " + path + ", entry " + std::to_string(i);
        if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("plan"))
            throw Error(where + ": needs a \"key\" string and a \"plan\"");
        TunedPlan tuned;
        tuned.plan = plan_from_json(e["plan"], where);
        for (const char* time : {"ms", "cost_model_ms"})
            if (e.contains(time)) {
                if (!e[time].is_number() || e[time].get<double>() < 0) throw Error(where + ": \"" + time + "\" must be a non-negative number");
                (std::string(time) == "ms" ? tuned.ms : tuned.cost_model_ms) = e[time].get<double>();
            }
        if (!tuning.entries.emplace(e["key"].get<std::string>(), tuned).second) throw Error(where + ": its key appears twice");
    }
    return tuning;
}

void Tuning::save(const std::string& path) const {
    // In the order a reader wants them (the key first), times to 0.1 microsecond.
    const auto rounded = [](double ms) { return std::round(ms * 1e4) / 1e4; };
    nlohmann::ordered_json entries_json = nlohmann::ordered_json::array();
    for (const auto& [key, tuned] : entries) {
        nlohmann::ordered_json entry;
        entry["key"] = key;
        entry["plan"] = plan_json(tuned.plan);
        entry["ms"] = rounded(tuned.ms);
        entry["cost_model_ms"] = rounded(tuned.cost_model_ms);
        entries_json.push_back(entry);
    }
    nlohmann::ordered_json doc;
    doc["kiln_tuning"] = 1;
    doc["entries"] = entries_json;
    write_file_atomically(path, doc.dump(2) + "\n");
}

// The key holds what decides a plan's speed: shapes, kernels, windows, strides, pads, dilations and
// groups; not an activation's function or kernel flipping (a group differing only there shares a
// checked, valid plan).
// conv, activation, pool, global avg/max pool, dense, softmax, dropout, LRN, batch norm, concat, residual, gate,
// channel slice, channel shuffle, layer norm, channel scale
static_assert(layer_fields_are({9, 13, 8, 0, 0, 2, 1, 2, 8, 0, 0, 0, 0, 2, 1, 2, 0}),
              "a layer kind's fields changed: add the new field to tuning_key if plans measured without it may not apply, "
              "then update these counts");

std::string tuning_key(const MachineModel& machine, const Lowered& net, const FusionGroup& group) {
    std::ostringstream key;
    key << "machine " << machine.cpu << " " << machine.vector_lanes << "x" << machine.vector_registers << " L1d "
        << machine.l1d_bytes << " L2 " << machine.l2_bytes << " cores " << machine.cores << " | batch "
        << std::max(1, net.batch_estimate);
    const auto describe_layers = [&](const FusionGroup& g) {
        for (std::size_t layer : g.layers) {
            const LayerSpec& l = *net.layers[layer].spec;
            key << " | " << l.kind() << " " << shape(l.in) << " -> " << shape(l.out);
            if (const auto* c = std::get_if<ConvAttrs>(&l.attrs))
                key << " k" << pair(c->kernel) << " s" << pair(c->stride) << " d" << pair(c->dilation) << " p"
                    << pads(c->rows(l.in), c->cols(l.in)) << (c->groups != 1 ? " g" + std::to_string(c->groups) : "")
                    // Padding read through the input itself (no padded copy, no fold): plans
                    // measured when kiln still copied it do not apply.
                    << (pads(c->rows(l.in), c->cols(l.in)) != "0,0,0,0" && !pads_input(l) ? " direct" : "");
            if (const auto* p = std::get_if<PoolAttrs>(&l.attrs))
                key << " w" << pair(p->window) << " s" << pair(p->stride) << " p" << pads(p->rows(l.in), p->cols(l.in))
                    << (p->dilation.h != 1 || p->dilation.w != 1 ? " d" + pair(p->dilation) : "");
        }
    };
    describe_layers(group);
    // A group that may be computed inside the next one is tuned with it (tune.cpp), so the next
    // group's layers are part of what its plan was measured on.
    if (const std::optional<FusionGroup> next = group_to_compute_inside(net, group)) {
        key << " | then";
        describe_layers(*next);
    }
    return key.str();
}

}  // namespace kiln::codegen
