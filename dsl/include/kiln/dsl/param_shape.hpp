// The shape of one learned tensor of a layer (weights, bias, scale, shift). Each layer states its
// tensors once, here; parameter counts, the Halide inputs and weight-file checks all read them.
#pragma once

#include "kiln/dsl/shape.hpp"

namespace kiln {

// dims are in Halide order, innermost (fastest-varying in memory) first; `layout` names the memory
// order outermost first, as frameworks write it (e.g. "HWIO" for dims {O, I, W, H}).
struct ParamShape {
    const char* role = "";
    const char* layout = "";
    int rank = 0;
    extent_t dims[4] = {1, 1, 1, 1};
    constexpr extent_t elements() const {
        extent_t n = 1;
        for (int i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
};

// At most two learned tensors per simple layer (weights+bias, scale+shift).
struct ParamShapes {
    int count = 0;
    ParamShape tensor[2] = {};
    constexpr extent_t elements() const {
        extent_t n = 0;
        for (int i = 0; i < count; ++i) n += tensor[i].elements();
        return n;
    }
};

constexpr ParamShape param1(const char* role, const char* layout, extent_t d0) {
    ParamShape p{};
    p.role = role;
    p.layout = layout;
    p.rank = 1;
    p.dims[0] = d0;
    return p;
}
constexpr ParamShape param2(const char* role, const char* layout, extent_t d0, extent_t d1) {
    ParamShape p = param1(role, layout, d0);
    p.rank = 2;
    p.dims[1] = d1;
    return p;
}
constexpr ParamShape param4(const char* role, const char* layout, extent_t d0, extent_t d1, extent_t d2,
                            extent_t d3) {
    ParamShape p = param2(role, layout, d0, d1);
    p.rank = 4;
    p.dims[2] = d2;
    p.dims[3] = d3;
    return p;
}

constexpr ParamShapes no_params() { return ParamShapes{}; }
constexpr ParamShapes params_of(ParamShape a) {
    ParamShapes s{};
    s.count = 1;
    s.tensor[0] = a;
    return s;
}
constexpr ParamShapes params_of(ParamShape a, ParamShape b) {
    ParamShapes s = params_of(a);
    s.count = 2;
    s.tensor[1] = b;
    return s;
}

}  // namespace kiln
