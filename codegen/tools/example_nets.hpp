// The example nets the command-line tools (kiln-inspect, kiln-tune) know by name.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "kiln/dsl/describe.hpp"
#include "nets/cifar10.hpp"
#include "nets/googlenet.hpp"
#include "nets/resnet.hpp"
#include "nets/workloads.hpp"

namespace kiln::tools {

inline const std::map<std::string, std::function<kiln::NetSpec()>>& known_nets() {
    static const std::map<std::string, std::function<kiln::NetSpec()>> nets = {
        {"w1", [] { return kiln::describe<nets::W1>(); }},
        {"w2", [] { return kiln::describe<nets::W2>(); }},
        {"w3", [] { return kiln::describe<nets::W3>(); }},
        {"w4", [] { return kiln::describe<nets::W4>(); }},
        {"tf-cifar10", [] { return kiln::describe<nets::TensorFlowCifar10>(); }},
        {"cifar10-model1", [] { return kiln::describe<nets::Cifar10Model1>(); }},
        {"cifar10-model2", [] { return kiln::describe<nets::Cifar10Model2>(); }},
        {"cifar10-model3", [] { return kiln::describe<nets::Cifar10Model3>(); }},
        {"cifar10-model4", [] { return kiln::describe<nets::Cifar10Model4>(); }},
        {"googlenet", [] { return kiln::describe<nets::GoogLeNet>(); }},
        {"resnet18", [] { return kiln::describe<nets::ResNet18>(); }},
    };
    return nets;
}

}  // namespace kiln::tools
