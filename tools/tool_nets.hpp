// The nets a command-line tool (kiln-inspect, kiln-tune) knows by name: kiln's example nets, or,
// built by kiln_add_inspector / kiln_add_tuner (cmake/KilnAot.cmake) with KILN_NET_HEADER,
// KILN_NET_TYPE and KILN_NET_NAME defined, the one net a user declared in their own header.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cli.hpp"
#include "kiln/dsl/describe.hpp"

#ifdef KILN_NET_TYPE
#include KILN_NET_HEADER
#else
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

// The positional NET argument: required among several nets; optional, defaulting to it, for one.
inline void add_net_argument(CLI::App& app, std::string& name, const std::string& what) {
    std::vector<std::string> names;
    for (const auto& n : known_nets()) names.push_back(n.first);
    auto* option = app.add_option("NET", name, what)->check(one_of(names, "net"));
    if (names.size() == 1) name = names.front(), option->capture_default_str();
    else option->required();
}

}  // namespace kiln::tools
