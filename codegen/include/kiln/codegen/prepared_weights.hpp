// Weights prepared once for a compiled net: every conv's weights packed into the layout its conv
// group's plan reads (output channels in the plan's channel blocks, Lowered::packed_weights),
// so a call reads them as they are instead of copying each task's slice again on every call.
//
//   JitOptions options;  options.packed_weights = true;
//   JitNet net(spec, options);
//   PreparedWeights prepared = net.prepare(weights);   // once per set of weights
//   net.run(input, prepared, output);                  // every call
//
// Prepared weights are a copy: changing the Weights afterwards changes nothing here (prepare them
// again). They remember the net and the plans they were made for; handing them to another net is
// a kiln::Error that says which.
#pragma once

#include <Halide.h>

#include <map>
#include <string>
#include <vector>

#include "kiln/codegen/lowered.hpp"
#include "kiln/dsl/layer_spec.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

class PreparedWeights {
  public:
    PreparedWeights() = default;
    bool empty() const { return stages_.empty(); }
    // Bytes held: the packed tensors, padded to whole channel blocks.
    std::size_t bytes() const;

  private:
    friend class JitNet;
    std::string made_for_;  // the net's signature and its packed layouts (JitNet::State::layout)
    std::vector<std::vector<Halide::Buffer<float>>> stages_;  // per pipeline, per parameter in its order
};

// `weights` (dims {O, I, KW, KH}, the first fastest) packed in blocks of `packing.block` output
// channels: dims {block, I, KW, KH, ceil(O / block)}, zero past the last channel, each kernel
// transformed first where packing has a Winograd tile (lowered.hpp: WeightPacking).
Halide::Buffer<float> pack_conv_weights(const std::vector<float>& weights, const ParamSpec& spec, WeightPacking packing);

}  // namespace kiln::codegen
