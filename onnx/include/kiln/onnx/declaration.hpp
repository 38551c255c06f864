// An imported net as a C++ header a person could have written: one kiln layer per line, each with
// the ONNX node(s) it came from and its output shape, so everything the DSL checks at compile
// time applies to it, and describe<Net>() of it equals the import's NetSpec.
#pragma once

#include <string>

#include "kiln/onnx/import.hpp"

namespace kiln::onnx {

struct DeclarationOptions {
    std::string name_space = "imported";  // the C++ namespace the net is declared in
    std::string model;                    // the model's file name, for the header's first lines
    std::string weights_file;             // the safetensors file written beside it
};

std::string declaration(const ImportedNet& net, const DeclarationOptions& options);

// The layer as the DSL type that declares it ("kiln::Conv<16, kiln::Kernel<3>, kiln::Pad<1>>");
// for Concat and Residual, the template alone ("kiln::Concat"): declaration() writes their branches.
std::string layer_type(const LayerSpec& layer);

}  // namespace kiln::onnx
