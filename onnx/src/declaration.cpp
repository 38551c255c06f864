// declaration(): the C++ text of an imported net.
#include "kiln/onnx/declaration.hpp"

#include <sstream>

#include "kiln/dsl/layer_fields.hpp"
#include "kiln/dsl/overloaded.hpp"
#include "ratio.hpp"

namespace kiln::onnx {

// conv, activation, pool, global avg/max pool, dense, softmax, dropout, LRN, batch norm, concat, residual, gate,
// channel slice, channel shuffle, layer norm, channel scale
static_assert(layer_fields_are({9, 13, 8, 0, 0, 2, 1, 2, 8, 0, 0, 0, 0, 2, 1, 2, 0}),
              "a layer kind's fields changed: write the new field as its DSL option in simple_type, so an imported net's "
              "declaration says what the import computes, then update these counts");

namespace {

std::string ratio(std::int64_t num, std::int64_t den) {
    return "std::ratio<" + std::to_string(num) + (den == 1 ? "" : ", " + std::to_string(den)) + ">";
}
std::string ratio(double v) {
    const detail::Ratio r = detail::ratio_of(float(v));
    return ratio(r.num, r.den);
}

std::string pair(const char* name, Extent2 e) {
    return std::string("kiln::") + name + "<" + std::to_string(e.h) + (e.h == e.w ? "" : ", " + std::to_string(e.w)) + ">";
}

std::string padding(const Padding& p) {
    switch (p.kind) {
    case PaddingKind::valid: return "";
    case PaddingKind::same: return "kiln::Same";
    case PaddingKind::same_lower: return "kiln::SameLower";
    case PaddingKind::full: return "kiln::Full";
    case PaddingKind::explicit_pads:
        if (p.rows.begin == p.rows.end && p.cols.begin == p.cols.end)
            return "kiln::Pad<" + std::to_string(p.rows.begin) + (p.rows.begin == p.cols.begin ? "" : ", " + std::to_string(p.cols.begin)) + ">";
        return "kiln::PadSides<" + std::to_string(p.rows.begin) + ", " + std::to_string(p.rows.end) + ", " + std::to_string(p.cols.begin) + ", " +
               std::to_string(p.cols.end) + ">";
    }
    return "";
}

std::string join(const std::vector<std::string>& parts) {
    std::string s;
    for (const std::string& p : parts)
        if (!p.empty()) s += (s.empty() ? "" : ", ") + p;
    return s;
}

std::string simple_type(const LayerSpec& l) {
    return std::visit(
        overloaded{
            [&](const ConvAttrs& a) {
                std::vector<std::string> opts{pair("Kernel", a.kernel)};
                if (a.stride.h != 1 || a.stride.w != 1) opts.push_back(pair("Stride", a.stride));
                if (a.dilation.h != 1 || a.dilation.w != 1) opts.push_back(pair("Dilation", a.dilation));
                opts.push_back(padding(a.padding));
                if (!a.bias) opts.push_back("kiln::NoBias");
                if (a.flip) opts.push_back("kiln::TrueConvolution");
                if (a.groups > 1 && a.groups == a.filters && a.groups == l.in.c)
                    return "kiln::DepthwiseConv<" + std::to_string(a.filters) + ", " + join(opts) + ">";
                if (a.groups != 1) opts.push_back("kiln::Groups<" + std::to_string(a.groups) + ">");
                return "kiln::Conv<" + std::to_string(a.filters) + ", " + join(opts) + ">";
            },
            [&](const PoolAttrs& a) {
                std::vector<std::string> opts{pair("Window", a.window)};
                if (a.stride.h != a.window.h || a.stride.w != a.window.w) opts.push_back(pair("Stride", a.stride));
                if (a.dilation.h != 1 || a.dilation.w != 1) opts.push_back(pair("Dilation", a.dilation));
                opts.push_back(padding(a.padding));
                if (a.count_padding) opts.push_back("kiln::CountPadding");
                if (a.ceil_mode) opts.push_back("kiln::CeilMode");
                return std::string(a.function == PoolFunction::max ? "kiln::MaxPool<" : "kiln::AvgPool<") + join(opts) + ">";
            },
            [&](const GlobalAvgPoolAttrs&) { return std::string("kiln::GlobalAvgPool"); },
            [&](const GlobalMaxPoolAttrs&) { return std::string("kiln::GlobalMaxPool"); },
            [&](const DenseAttrs& a) { return "kiln::Dense<" + std::to_string(a.units) + (a.bias ? "" : ", kiln::NoBias") + ">"; },
            [&](const ActivationAttrs& a) {
                switch (a.function) {
                case ActivationFunction::relu: return std::string("kiln::Relu");
                case ActivationFunction::leaky_relu: return "kiln::LeakyRelu<" + ratio(a.slope_num, a.slope_den) + ">";
                case ActivationFunction::sigmoid: return std::string("kiln::Sigmoid");
                case ActivationFunction::tanh: return std::string("kiln::Tanh");
                case ActivationFunction::clip:
                    if (a.low_num == 0 && a.high_num == 6 && a.high_den == 1) return std::string("kiln::Relu6");
                    return "kiln::Clip<" + ratio(a.low_num, a.low_den) + ", " + ratio(a.high_num, a.high_den) + ">";
                case ActivationFunction::silu: return std::string("kiln::Silu");
                case ActivationFunction::hard_sigmoid:
                    return "kiln::HardSigmoid<" + ratio(a.slope_num, a.slope_den) + ", " + ratio(a.offset_num, a.offset_den) + ">";
                case ActivationFunction::hard_swish: return std::string("kiln::HardSwish");
                case ActivationFunction::gelu: return std::string("kiln::Gelu");
                case ActivationFunction::gelu_tanh: return std::string("kiln::GeluTanh");
                case ActivationFunction::mish: return std::string("kiln::Mish");
                }
                return std::string("?");
            },
            [&](const SoftmaxAttrs& a) { return std::string(a.log ? "kiln::LogSoftmax" : "kiln::Softmax"); },
            [&](const DropoutAttrs& a) { return "kiln::Dropout<" + ratio(a.rate_num, a.rate_den) + ">"; },
            [&](const LrnAttrs& a) {
                return "kiln::Lrn<" + std::to_string(a.radius) + ", " + ratio(a.bias) + ", " + ratio(a.alpha_num, a.alpha_den) + ", " +
                       ratio(a.beta_num, a.beta_den) + ">";
            },
            [&](const BatchNormAttrs&) { return std::string("kiln::BatchNorm"); },
            [&](const ConcatAttrs&) { return std::string("kiln::Concat"); },
            [&](const ResidualAttrs&) { return std::string("kiln::Residual"); },
            [&](const GateAttrs&) { return std::string("kiln::Gate"); },
            [&](const ChannelSliceAttrs& a) { return "kiln::ChannelSlice<" + std::to_string(a.begin) + ", " + std::to_string(a.end) + ">"; },
            [&](const ChannelShuffleAttrs& a) { return "kiln::ChannelShuffle<" + std::to_string(a.groups) + ">"; },
            [&](const LayerNormAttrs& a) { return "kiln::LayerNorm<" + ratio(a.epsilon_num, a.epsilon_den) + ">"; },
            [&](const ChannelScaleAttrs&) { return std::string("kiln::ChannelScale"); }},
        l.attrs);
}

std::string shape_comment(const std::vector<std::int64_t>& dims) {
    std::string s = "[N";
    for (std::size_t i = 1; i < dims.size(); ++i) s += ", " + std::to_string(dims[i]);
    return s + "]";
}

class Writer {
  public:
    explicit Writer(const ImportedNet* net) : net_(net) {}

    // One layer; `suffix` closes what encloses it (",", ">,", ">;").
    void layer(const LayerSpec& l, int indent, const std::string& suffix) {
        const std::string pad(std::size_t(indent), ' ');
        const bool residual = std::holds_alternative<ResidualAttrs>(l.attrs);
        if (l.children.empty()) {
            line(pad + simple_type(l) + suffix, comment(l));
            return;
        }
        line(pad + simple_type(l) + "<", comment(l));
        for (std::size_t b = 0; b < l.children.size(); ++b) {
            const char* wrapper = !residual ? "kiln::Branch<" : b == 0 ? "kiln::Body<" : "kiln::Shortcut<";
            const std::string close = b + 1 == l.children.size() ? ">" + suffix : ",";
            const auto& seq = l.children[b];
            if (seq.empty()) {
                line(pad + "    " + wrapper + ">" + close, "");
                continue;
            }
            line(pad + "    " + wrapper, "");
            for (std::size_t i = 0; i < seq.size(); ++i) layer(seq[i], indent + 8, i + 1 == seq.size() ? ">" + close : ",");
        }
    }
    void line(const std::string& code, const std::string& comment) {
        out_ << code;
        if (!comment.empty()) out_ << std::string(code.size() < 64 ? 64 - code.size() : 1, ' ') << "// " << comment;
        out_ << '\n';
    }
    std::string comment(const LayerSpec& l) const {
        auto it = net_->origins.find(l.path);
        if (it == net_->origins.end()) return "";
        return it->second.nodes + " -> " + shape_comment(it->second.onnx_shape);
    }
    std::string text() const { return out_.str(); }

  private:
    const ImportedNet* net_;
    std::ostringstream out_;
};

}  // namespace

std::string layer_type(const LayerSpec& layer) { return simple_type(layer); }

std::string declaration(const ImportedNet& net, const DeclarationOptions& options) {
    Writer w(&net);
    std::ostringstream head;
    head << "// " << net.name << ": generated by kiln-import from the ONNX model " << (options.model.empty() ? "(in memory)" : options.model);
    head << " (opset " << net.opset << (net.producer.empty() ? "" : ", made by " + net.producer) << ").\n";
    head << "// An ordinary kiln declaration: the compiler checks every layer's shape. The ONNX input '" << net.input_name
         << "' is " << shape_comment(net.input.dims(1)) << ", the output '" << net.output_name << "' " << shape_comment(net.output.dims(1)) << ".\n";
    if (!options.weights_file.empty())
        head << "// Weights: " << options.weights_file << " (kiln's layout and names; its metadata names each tensor's ONNX initializer).\n";
    head << "#pragma once\n\n#include <ratio>\n\n#include <kiln/dsl.hpp>\n\nnamespace " << options.name_space << " {\n\n";
    const Shape in = net.spec.input;
    w.line("using " + net.name + " = kiln::Net<kiln::Input<" + std::to_string(in.h) + ", " + std::to_string(in.w) + ", " + std::to_string(in.c) + ">,",
           "input '" + net.input_name + "': " + shape_comment(net.input.dims(1)));
    for (std::size_t i = 0; i < net.spec.layers.size(); ++i) w.layer(net.spec.layers[i], 4, i + 1 == net.spec.layers.size() ? ">;" : ",");
    const Shape out = net.spec.output;
    std::ostringstream tail;
    tail << "\nstatic_assert(" << net.name << "::output_shape == kiln::Shape{" << out.h << ", " << out.w << ", " << out.c << "});\n";
    tail << "\n}  // namespace " << options.name_space << "\n";
    return head.str() + w.text() + tail.str();
}

}  // namespace kiln::onnx
