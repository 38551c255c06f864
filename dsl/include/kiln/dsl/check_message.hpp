// A failed Check as a sentence, for the run-time paths (layers described from values at run time,
// weight and tensor checks). The compile-time path reports the same rules through errors.hpp.
#pragma once

#include <sstream>
#include <string>

#include "kiln/dsl/check.hpp"

namespace kiln {

inline std::string check_message(const Check& ck, Shape in) {
    std::ostringstream o;
    const auto& v = ck.v;
    o << "input " << in.h << "x" << in.w << "x" << in.c << ": ";
    switch (ck.rule) {
    case Rule::ok: o << "ok"; break;
    case Rule::input_extent_below_1: o << "every input extent must be at least 1"; break;
    case Rule::missing_kernel: o << "a convolution needs a kernel"; break;
    case Rule::missing_window: o << "a pooling layer needs a window"; break;
    case Rule::zero_filters: o << "filters = " << v[0] << ", must be at least 1"; break;
    case Rule::zero_groups: o << "groups = " << v[0] << ", must be at least 1"; break;
    case Rule::channels_not_divisible_by_groups:
        o << v[0] << " input channels and " << v[1] << " filters must both be multiples of the " << v[2] << " groups";
        break;
    case Rule::zero_units: o << "units = " << v[0] << ", must be at least 1"; break;
    case Rule::zero_kernel: o << "kernel " << v[0] << "x" << v[1] << ", each extent must be at least 1"; break;
    case Rule::zero_window: o << "window " << v[0] << "x" << v[1] << ", each extent must be at least 1"; break;
    case Rule::zero_stride: o << "stride " << v[0] << "x" << v[1] << ", each must be at least 1"; break;
    case Rule::zero_dilation: o << "dilation " << v[0] << "x" << v[1] << ", each must be at least 1"; break;
    case Rule::negative_padding:
        o << "padding top/bottom/left/right " << v[0] << "/" << v[1] << "/" << v[2] << "/" << v[3] << " is negative";
        break;
    case Rule::kernel_larger_than_padded_input:
        o << "dilated kernel " << v[2] << "x" << v[3] << " is larger than the padded input " << v[0] << "x" << v[1];
        break;
    case Rule::window_larger_than_padded_input:
        o << "window " << v[2] << "x" << v[3] << " is larger than the padded input " << v[0] << "x" << v[1];
        break;
    case Rule::padding_not_smaller_than_window:
        o << "padding " << v[0] << "/" << v[1] << "/" << v[2] << "/" << v[3] << " is not smaller than the window "
          << v[4] << "x" << v[5];
        break;
    case Rule::stride_drops_input:
        o << "strict: stride " << v[3] << " drops " << v[4] << (v[0] == 0 ? " row(s)" : " column(s)")
          << " of the padded input " << v[1] << " (kernel span " << v[2] << ")";
        break;
    case Rule::empty_clip_range:
        o << "clip range [" << v[0] << "/" << v[1] << ", " << v[2] << "/" << v[3] << "] is empty (low above high)";
        break;
    case Rule::ratio_out_of_range: o << "ratio " << v[0] << "/" << v[1] << " is out of range"; break;
    case Rule::negative_radius: o << "radius " << v[0] << " is negative"; break;
    case Rule::option_not_accepted: o << "option " << v[0] + 1 << " is not accepted"; break;
    case Rule::duplicate_option: o << "option " << v[0] + 1 << " repeats an earlier option's kind"; break;
    case Rule::input_not_first: o << "an Input may only be the first layer"; break;
    case Rule::empty_concat: o << "a concat needs at least one branch"; break;
    case Rule::concat_spatial_mismatch:
        o << "branch 1 gives " << v[0] << "x" << v[1] << " but branch " << v[2] << " gives " << v[3] << "x" << v[4];
        break;
    case Rule::residual_shape_mismatch:
        o << "body gives " << v[0] << "x" << v[1] << "x" << v[2] << " but shortcut gives " << v[3] << "x" << v[4]
          << "x" << v[5];
        break;
    case Rule::gate_shape_mismatch:
        o << "the gate's input is " << v[0] << "x" << v[1] << "x" << v[2] << " but its branch gives " << v[3] << "x" << v[4] << "x"
          << v[5] << " (it must give 1x1x" << v[2] << " or the input's shape)";
        break;
    case Rule::channel_slice_out_of_range:
        o << "channels [" << v[0] << ", " << v[1] << ") are not a non-empty range inside the input's " << v[2];
        break;
    case Rule::shuffle_groups_not_dividing_channels: o << v[0] << " channels do not split into " << v[1] << " equal groups"; break;
    case Rule::nested: o << "a branch failed"; break;
    }
    return o.str();
}

}  // namespace kiln
