// Weights: storage checked against the declared layers' tensor shapes.
#include "kiln/runtime/weights.hpp"

#include <cmath>
#include <random>

namespace kiln {

Weights::Weights(std::vector<ParamSpec> specs, std::string net_signature)
    : specs_(std::move(specs)), signature_(std::move(net_signature)) {
    for (const auto& s : specs_) {
        if (values_.count(s.name)) throw Error("two learned tensors are named '" + s.name + "'");
        values_[s.name].assign(std::size_t(s.elements()), 0.0f);
    }
}

const ParamSpec& Weights::spec(const std::string& name) const {
    for (const auto& s : specs_)
        if (s.name == name) return s;
    std::string known;
    for (const auto& s : specs_) known += (known.empty() ? "" : ", ") + s.name;
    throw Error("no learned tensor named '" + name + "'; this net has: " + (known.empty() ? "(none)" : known));
}

std::vector<float>& Weights::operator[](const std::string& name) {
    spec(name);  // throws with the list of valid names
    return values_.at(name);
}

const std::vector<float>& Weights::operator[](const std::string& name) const {
    spec(name);
    return values_.at(name);
}

void Weights::require_fits(const NetSpec& net, const std::string& who) const {
    require_fits(kiln::net_signature(net), all_params(net), who);
}

void Weights::require_fits(const std::string& signature, const std::vector<ParamSpec>& params, const std::string& who) const {
    if (!signature_.empty() && signature_ != signature)
        throw Error(who + ": these weights were made for another net (same tensor names and sizes are not enough).\n  weights: " +
                    signature_ + "\n  net:     " + signature);
    const auto dims_string = [](const std::vector<extent_t>& dims) {
        std::string s = "(";
        for (std::size_t d = 0; d < dims.size(); ++d) s += (d ? ", " : "") + std::to_string(dims[d]);
        return s + ")";
    };
    for (const auto& p : params) {
        const ParamSpec& mine = spec(p.name);  // throws for a missing name, listing the ones there are
        const auto& values = values_.at(p.name);
        if (mine.dims != p.dims)
            throw Error(who + ": learned tensor " + p.name + " has dims " + dims_string(mine.dims) + ", the layer needs " +
                        dims_string(p.dims));
        if (extent_t(values.size()) != p.elements())
            throw Error(who + ": learned tensor " + p.name + " holds " + std::to_string(values.size()) +
                        " values, the layer needs " + std::to_string(p.elements()));
    }
}

void Weights::fill_random(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (const auto& s : specs_) {
        auto& v = values_[s.name];
        // dims[0] is the output (filters, units, channels); the rest feed one output.
        const double fan_in = double(s.elements()) / double(s.dims.empty() ? 1 : s.dims[0]);
        double lo = -0.1, hi = 0.1;
        if (s.role == "weights") hi = std::sqrt(3.0 / std::max(1.0, fan_in)), lo = -hi;
        if (s.role == "scale" || s.role == "gamma" || s.role == "running_var") lo = 0.5, hi = 1.5;
        std::uniform_real_distribution<double> u(lo, hi);
        for (auto& x : v) x = float(u(rng));
    }
}

void Weights::fill_small_integers(std::uint64_t seed, int range) {
    std::mt19937_64 rng(seed);
    // Zero is left out: a zero 1x1 single-channel kernel would make a whole test output zero.
    std::uniform_int_distribution<int> u(1, range);
    std::bernoulli_distribution negative(0.5);
    for (const auto& s : specs_)
        for (auto& x : values_[s.name]) x = float(negative(rng) ? -u(rng) : u(rng));
}

}  // namespace kiln
