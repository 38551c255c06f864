// The nets a command-line tool (kiln-inspect, kiln-tune) knows by name: kiln's example nets and any
// ONNX model given by its path (MODEL.onnx, imported with batch norm folded, as a user would run
// it), or, built by kiln_add_inspector / kiln_add_tuner (cmake/KilnAot.cmake) with KILN_NET_HEADER,
// KILN_NET_TYPE and KILN_NET_NAME defined, the one net a user declared in their own header.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "cli.hpp"
#include "kiln/dsl/describe.hpp"

#ifdef KILN_NET_TYPE
#include KILN_NET_HEADER
#else
#include "kiln/onnx/import.hpp"
#include "nets/cifar10.hpp"
#include "nets/googlenet.hpp"
#include "nets/resnet.hpp"
#include "nets/workloads.hpp"
#endif

namespace kiln::tools {

inline const std::map<std::string, std::function<kiln::NetSpec()>>& known_nets() {
    static const std::map<std::string, std::function<kiln::NetSpec()>> nets = {
#ifdef KILN_NET_TYPE
        {KILN_NET_NAME, [] { return kiln::describe<KILN_NET_TYPE>(); }},
#else
        {"w1", [] { return kiln::describe<nets::W1>(); }},
        {"w2", [] { return kiln::describe<nets::W2>(); }},
        {"w3", [] { return kiln::describe<nets::W3>(); }},
        {"w4", [] { return kiln::describe<nets::W4>(); }},
        {"w6", [] { return kiln::describe<nets::W6>(); }},
        {"tf-cifar10", [] { return kiln::describe<nets::TensorFlowCifar10>(); }},
        {"cifar10-model1", [] { return kiln::describe<nets::Cifar10Model1>(); }},
        {"cifar10-model2", [] { return kiln::describe<nets::Cifar10Model2>(); }},
        {"cifar10-model3", [] { return kiln::describe<nets::Cifar10Model3>(); }},
        {"cifar10-model4", [] { return kiln::describe<nets::Cifar10Model4>(); }},
        {"googlenet", [] { return kiln::describe<nets::GoogLeNet>(); }},
        {"resnet18", [] { return kiln::describe<nets::ResNet18>(); }},
#endif
    };
    return nets;
}

#ifndef KILN_NET_TYPE
inline bool is_onnx_model(const std::string& name) {
    return name.size() > 5 && name.compare(name.size() - 5, 5, ".onnx") == 0;
}
#endif

// The positional NET argument: required among several nets; optional, defaulting to it, for one.
inline void add_net_argument(CLI::App& app, std::string& name, const std::string& what) {
    std::vector<std::string> names;
    for (const auto& n : known_nets()) names.push_back(n.first);
#ifdef KILN_NET_TYPE
    auto* option = app.add_option("NET", name, what)->check(one_of(names, "net"));
#else
    std::string listed;
    for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
    auto* option = app.add_option("NET", name, what + ": one of " + listed + ", or a MODEL.onnx")
                       ->check(CLI::Validator(
                           [names, listed](std::string& value) -> std::string {
                               if (is_onnx_model(value))
                                   return std::filesystem::is_regular_file(value) ? "" : "no such ONNX model: " + value;
                               for (const auto& n : names)
                                   if (n == value) return "";
                               return "'" + value + "' is not a known net (" + listed + ") nor a MODEL.onnx";
                           },
                           "NET", "net"));
#endif
    if (names.size() == 1) name = names.front(), option->capture_default_str();
    else option->required();
}

// The net NET names: an example net, or an ONNX model imported (a kiln::Error says why it is not).
inline kiln::NetSpec net_spec(const std::string& name) {
#ifndef KILN_NET_TYPE
    if (is_onnx_model(name)) {
        kiln::onnx::ImportOptions options;
        options.fold_batch_norm = true;
        return kiln::onnx::import_model(name, options).spec;
    }
#endif
    return known_nets().at(name)();
}

// What files written for NET are named after: the net's name, or the model's file name without .onnx.
inline std::string net_file_stem(const std::string& name) { return std::filesystem::path(name).stem().string(); }

}  // namespace kiln::tools
