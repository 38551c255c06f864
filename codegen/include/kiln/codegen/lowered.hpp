// The Halide algorithm of a described net, with a handle on every stage, variable and reduction
// domain, so that schedules (codegen/schedule*.cpp) are written apart from it, as Halide intends.
// Nothing here vectorizes, parallelizes or places a stage.
//
// Axis order of every activation Func and of the input ImageParam: (c, x, y, n), i.e. NHWC memory
// with channels fastest. Learned tensors keep the Halide-order dims of their ParamSpec.
#pragma once

#include <Halide.h>

#include <map>
#include <string>
#include <vector>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln::codegen {

// How a conv's weights are read packed (Lowered::packed_weights): output channels in blocks of
// `block`, dims (o % block, i, kx, ky, o / block), zero past the last channel. With a winograd_tile
// m, each kernel is first transformed for Winograd's F(m x m, 3 x 3) (lower/winograd.hpp): its
// (m + 2) x (m + 2) values take the place of the 3 x 3 taps.
struct WeightPacking {
    int block = 0;
    int winograd_tile = 0;
    bool operator==(const WeightPacking& o) const { return block == o.block && winograd_tile == o.winograd_tile; }
};

struct LayerStages {
    const LayerSpec* spec = nullptr;  // points into Lowered::spec
    std::vector<Halide::Func> funcs;  // every Func the layer defined, in definition order
    std::vector<Halide::RDom> rdoms;  // its reduction domains
    Halide::Func output;              // the layer's result, dims (c, x, y, n)
    // Conv and pool: the zero- (or -inf-) padded copy of the input the window reads; undefined when
    // the layer pads nothing. Schedules place it by this name, never by its position in `funcs`.
    Halide::Func padded_input;
    // Conv: its weights extended with zeros past the last output channel, which the conv reads
    // instead of the ImageParam, so a schedule may compute whole vectors of channels where the
    // channels end mid-vector (inference, groups of 1, channels no multiple of 8); else undefined.
    Halide::Func zero_extended_weights;
    // Conv computed by Winograd's F(m x m, 3 x 3), m = winograd_tile (0: directly): its transformed
    // input tiles, dims (c, b, a, tx, ty, n), and their products with the kernels summed over input
    // channels, dims (c, b, a, tx, ty, n), which `output` transforms back.
    int winograd_tile = 0;
    Halide::Func winograd_input, winograd_products;
    std::vector<std::size_t> children;  // indices into Lowered::layers of the layers in its branches
};

// Move-only: LayerStages::spec points into `spec`.
struct Lowered {
    Lowered() = default;
    Lowered(Lowered&&) = default;
    Lowered& operator=(Lowered&&) = default;
    Lowered(const Lowered&) = delete;
    Lowered& operator=(const Lowered&) = delete;

    NetSpec spec;
    Halide::Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
    Halide::ImageParam input;                         // dims (c, x, y, n)
    Halide::Func input_values;                        // the input as a Func: the first layer's input
    std::map<std::string, Halide::ImageParam> params;  // by ParamSpec name
    // Conv weights the net reads packed, by ParamSpec name (WeightPacking). A conv group's
    // register tiles then read their channel block's weights in order, straight from the tensor
    // PreparedWeights holds (prepared_weights.hpp), instead of copying them per task and call.
    std::map<std::string, WeightPacking> packed_weights;
    // Set before scheduling by a caller that prepares the weights once (JitOptions::packed_weights):
    // plans may then choose what only prepared weights can hold, Winograd's transformed kernels.
    bool weights_prepared = false;
    std::vector<LayerStages> layers;                  // depth first, declaration order
    Halide::Func output;                              // the net's result, dims (c, x, y, n)
    int batch_estimate = 1;                           // the batch schedules plan for
    // Floats between one output pixel and the next: the output's channels, or more when the output
    // is a slice of a wider tensor (a Concat's, segments.hpp).
    int output_pixel_stride = 0;
    // Lowered in training form (train.hpp, training_form.hpp), for Halide's autodiff: zero padding
    // through BoundaryConditions and no RDom predicates (both of which the inference form uses for
    // speed and Halide 14's propagate_adjoints cannot differentiate); batch norm normalizes with the
    // batch's own statistics (`batch_statistics`); dropout zeroes a seeded counter-based mask.
    bool training = false;
    // Training form: each batch norm layer's batch mean and (biased) variance over (x, y, n), dims
    // (c), for the trainer to update the running statistics with.
    struct BatchStatistics {
        std::string layer;  // the layer's name, "l2_batch_norm"
        int channels = 0;
        int values_per_channel_per_example = 0;  // the layer input's width x height
        Halide::Func mean, variance;
    };
    std::vector<BatchStatistics> batch_statistics;
    // Training form: the seed of this step's dropout masks (dsl/dropout.hpp gives the formula), and
    // how many dropout layers were lowered so far (each takes its ordinal into its mask).
    Halide::Param<uint32_t> dropout_seed{"dropout_seed"};
    int dropout_layers = 0;

    // Filled by the schedule that was applied: its name, the machine model it planned for
    // (machine_model.hpp), kiln's plan per conv group (conv_group_plan.hpp), one line each, and
    // for the autoschedulers the schedule source Halide produced (kiln-inspect shows all four).
    std::string schedule_name;
    std::string machine;
    std::string schedule_plan;
    std::string schedule_source;
    // The last layer of each conv group the schedule computes inside the next group's tiles
    // instead of storing (ConvGroupPlan::inside_consumer), for the inspector.
    std::vector<std::size_t> computed_inside_next_group;
    // How each conv group's plan reads its weights (its channel block, its Winograd tile), by the
    // weights' ParamSpec name; absent for plans without whole vectors of channels. A net lowered
    // with these as packed_weights and scheduled again reads its weights packed.
    std::map<std::string, WeightPacking> plan_weight_packing;

    // Every learned tensor in the order all_params(spec) lists them.
    std::vector<Halide::ImageParam> param_list() const;
};

// Whether the lowered conv leaves out the kernel rows (columns) that fall in the zero padding: rows
// whenever every output row has a tap in the image, columns also only above 4 input channels.
// Schedules that unroll a register tile over columns must unroll the kernel columns and the tiles
// too when columns are skipped, so the per-column test folds to constants.
bool skips_padded_rows(const LayerSpec& conv);
// Whether the lowered (inference) conv reads a zero-padded copy of its input: it has padding on some
// side and reads some of it. A conv that skips every padded tap (skips_padded_rows and _columns; a
// depthwise conv, or more than 4 input channels a group) reads its input directly.
bool pads_input(const LayerSpec& conv);
bool skips_padded_columns(const LayerSpec& conv);

// Lowers the net; `batch_estimate` is the batch the autoschedulers plan for. The output buffer's
// pixels are `output_pixel_stride` floats apart (0: the output's channels, a dense tensor).
Lowered lower(const NetSpec& spec, int batch_estimate = 1, int output_pixel_stride = 0, bool training = false,
              const std::map<std::string, WeightPacking>& packed_weights = {});

// The dims of a conv's weights packed so (Lowered::packed_weights): {block, I, KW, KH, ceil(O / block)}
// for weights of dims {O, I, KW, KH}, KW and KH being m + 2 with a Winograd tile m.
std::vector<extent_t> packed_weight_dims(const ParamSpec& weights, WeightPacking packing);

// The Halide-safe identifier of a ParamSpec name ("l3_conv.weights" -> "l3_conv_weights").
std::string halide_name(const std::string& name);

}  // namespace kiln::codegen
