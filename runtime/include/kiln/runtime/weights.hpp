// The learned tensors of one net, keyed by the names describe<Net>() gives them ("l3_conv.weights").
// Each tensor's shape comes from its ParamSpec, i.e. from the declared layer; nothing can be added
// or resized by name afterwards, so a kernel never reads a tensor of the wrong size.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kiln/dsl/layer_spec.hpp"
#include "kiln/dsl/signature.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln {

class Weights {
  public:
    Weights() = default;
    // `net_signature` (kiln/dsl/signature.hpp) names the net the tensors are for; empty: any net
    // whose tensors have these names and shapes.
    explicit Weights(std::vector<ParamSpec> specs, std::string net_signature = "");
    static Weights for_net(const NetSpec& net) { return Weights(all_params(net), kiln::net_signature(net)); }

    const std::vector<ParamSpec>& specs() const { return specs_; }
    const std::string& net_signature() const { return signature_; }
    // Throws kiln::Error unless these weights fit `net`: made for it (when their signature says),
    // and every learned tensor the net declares present with its declared dims and size. `who`
    // begins the message ("the JIT net", a kernel's name).
    void require_fits(const NetSpec& net, const std::string& who) const;
    void require_fits(const std::string& signature, const std::vector<ParamSpec>& params, const std::string& who) const;
    const ParamSpec& spec(const std::string& name) const;
    std::vector<float>& operator[](const std::string& name);
    const std::vector<float>& operator[](const std::string& name) const;

    // Uniform in [-a, a] with a = sqrt(3 / fan_in) (unit-variance outputs for unit-variance inputs);
    // biases and shifts small, scales (and batch norm gammas, running variances) near 1. Deterministic for a seed.
    void fill_random(std::uint64_t seed);
    // Non-zero integers in [-range, range], so that float sums are exact (bit-exact tests).
    void fill_small_integers(std::uint64_t seed, int range);

  private:
    std::vector<ParamSpec> specs_;
    std::string signature_;
    std::map<std::string, std::vector<float>> values_;
};

}  // namespace kiln
