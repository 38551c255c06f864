// map_operator: each supported ONNX operator's attributes and weights as a kiln layer.
#include "operators.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>

#include "kiln/runtime/error.hpp"
#include "ratio.hpp"

namespace kiln::onnx::detail {

namespace {

using ::onnx::AttributeProto;
using ::onnx::NodeProto;

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// A node's attributes, each read with its declared type; any attribute the operator does not
// define (or kiln does not read) is refused by name.
class Attributes {
  public:
    Attributes(const NodeProto& n, std::string where, std::initializer_list<const char*> known) : where_(std::move(where)) {
        for (const AttributeProto& a : n.attribute()) {
            if (std::find_if(known.begin(), known.end(), [&](const char* k) { return a.name() == k; }) == known.end())
                throw Error(where_ + ": attribute '" + a.name() + "' is not supported (not part of the operator, or not read by kiln)");
            if (!by_name_.emplace(a.name(), &a).second) throw Error(where_ + ": attribute '" + a.name() + "' is given twice");
        }
    }
    bool has(const std::string& name) const { return by_name_.count(name) > 0; }
    std::int64_t i(const std::string& name, std::int64_t fallback) const {
        const AttributeProto* a = get(name, AttributeProto::INT);
        return a ? a->i() : fallback;
    }
    float f(const std::string& name, float fallback) const {
        const AttributeProto* a = get(name, AttributeProto::FLOAT);
        return a ? a->f() : fallback;
    }
    std::string s(const std::string& name, const std::string& fallback) const {
        const AttributeProto* a = get(name, AttributeProto::STRING);
        return a ? a->s() : fallback;
    }
    std::vector<std::int64_t> ints(const std::string& name) const {
        const AttributeProto* a = get(name, AttributeProto::INTS);
        return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : std::vector<std::int64_t>{};
    }
    const std::string& where() const { return where_; }

  private:
    const AttributeProto* get(const std::string& name, AttributeProto::AttributeType type) const {
        auto it = by_name_.find(name);
        if (it == by_name_.end()) return nullptr;
        // Some exporters leave the type unset on old models; the field that is set decides then.
        if (it->second->type() != type && it->second->type() != AttributeProto::UNDEFINED)
            throw Error(where_ + ": attribute '" + name + "' has type " + AttributeProto::AttributeType_Name(it->second->type()) +
                        ", expected " + AttributeProto::AttributeType_Name(type));
        return it->second;
    }
    std::string where_;
    std::map<std::string, const AttributeProto*> by_name_;
};

// Input `index` of the node as a constant, or nullptr when the node leaves it out.
const OnnxTensor* constant_input(const Graph& g, const NodeProto& n, int index, const std::string& where, const char* role,
                                 bool required) {
    if (index >= n.input_size() || n.input(index).empty()) {
        if (required) throw Error(where + ": input " + std::to_string(index) + " (" + role + ") is missing");
        return nullptr;
    }
    auto it = g.constants.find(n.input(index));
    if (it == g.constants.end())
        throw Error(where + ": input " + std::to_string(index) + " (" + role + ", '" + n.input(index) +
                    "') is computed by the graph; kiln needs it as an initializer (a constant)");
    if (g.batch_entries.count(n.input(index)))
        throw Error(where + ": input " + std::to_string(index) + " (" + role + ", '" + n.input(index) +
                    "') holds the batch extent; kiln's nets take any batch, so it cannot be a constant here");
    return &it->second;
}

const std::vector<float>& float_values(const OnnxTensor& t, const std::string& where, const char* role) {
    if (t.integral) throw Error(where + ": " + role + " '" + t.name + "' holds integers; floats expected");
    return t.floats;
}

float scalar(const OnnxTensor& t, const std::string& where, const char* role) {
    if (t.elements() != 1) throw Error(where + ": " + role + " must be one value, got dims " + dims_text(t.dims));
    return t.integral ? float(t.ints[0]) : t.floats[0];
}

void require_image(const OnnxLayout& in, const std::string& where) {
    if (in.rank == 2)
        throw Error(where + ": its input is 2-D [N, " + std::to_string(in.shape.elements()) +
                    "]; kiln applies this operator to [N, C, H, W] or [N, C, W] tensors");
}

// Per-axis kernel, stride, dilation and padding of a Conv or pool: ONNX lists one value per spatial
// axis (two for [N, C, H, W], one for [N, C, W], which kiln sees as one row).
struct Window {
    Extent2 kernel, stride, dilation;
    Padding padding;
};

Window window_of(const Attributes& a, const OnnxLayout& in, std::vector<std::int64_t> kernel, bool stride_defaults_to_one) {
    const std::string& where = a.where();
    const std::size_t axes = in.rank == 4 ? 2 : 1;
    auto per_axis = [&](const char* name, std::int64_t fallback, std::size_t count) {
        std::vector<std::int64_t> v = a.ints(name);
        if (v.empty()) v.assign(count, fallback);
        if (v.size() != count)
            throw Error(where + ": attribute '" + name + "' " + dims_text(v) + " has " + std::to_string(v.size()) + " values; the input's " +
                        std::to_string(axes) + " spatial axes need " + std::to_string(count));
        return v;
    };
    if (kernel.size() != axes)
        throw Error(where + ": kernel " + dims_text(kernel) + " does not match the input's " + std::to_string(axes) + " spatial axes");
    const std::vector<std::int64_t> kernel_attr = a.ints("kernel_shape");
    if (!kernel_attr.empty() && kernel_attr != kernel)
        throw Error(where + ": kernel_shape " + dims_text(kernel_attr) + " disagrees with the weights' " + dims_text(kernel));
    for (std::int64_t k : kernel)
        if (k < 1) throw Error(where + ": kernel " + dims_text(kernel) + " has an extent below 1");
    const auto stride = per_axis("strides", stride_defaults_to_one ? 1 : 1, axes);
    const auto dilation = per_axis("dilations", 1, axes);
    for (std::int64_t v : stride)
        if (v < 1) throw Error(where + ": strides " + dims_text(stride) + " must be at least 1");
    for (std::int64_t v : dilation)
        if (v < 1) throw Error(where + ": dilations " + dims_text(dilation) + " must be at least 1");
    const std::string auto_pad = a.s("auto_pad", "NOTSET");
    Window w;
    auto pair = [&](const std::vector<std::int64_t>& v) { return axes == 2 ? Extent2{v[0], v[1]} : Extent2{1, v[0]}; };
    w.kernel = pair(kernel), w.stride = pair(stride), w.dilation = pair(dilation);
    if (auto_pad == "NOTSET") {
        const auto pads = per_axis("pads", 0, 2 * axes);
        for (std::int64_t p : pads)
            if (p < 0) throw Error(where + ": pads " + dims_text(pads) + " are negative; kiln pads, it does not crop");
        // ONNX: [x1_begin, x2_begin, x1_end, x2_end].
        const Pads rows = axes == 2 ? Pads{pads[0], pads[2]} : Pads{0, 0};
        const Pads cols = axes == 2 ? Pads{pads[1], pads[3]} : Pads{pads[0], pads[1]};
        const bool none = rows.begin == 0 && rows.end == 0 && cols.begin == 0 && cols.end == 0;
        w.padding = none ? Padding{} : Padding{PaddingKind::explicit_pads, rows, cols};
    } else if (auto_pad == "VALID") {
        w.padding = Padding{};
    } else if (auto_pad == "SAME_UPPER") {
        w.padding = Padding{PaddingKind::same, {}, {}};
    } else if (auto_pad == "SAME_LOWER") {
        w.padding = Padding{PaddingKind::same_lower, {}, {}};
    } else {
        throw Error(where + ": auto_pad = '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    }
    if (auto_pad != "NOTSET" && a.has("pads")) throw Error(where + ": pads given with auto_pad = " + auto_pad);
    return w;
}

Mapped conv(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    require_image(in, where);
    const OnnxTensor& w = *constant_input(g, n, 1, where, "W", true);
    const OnnxTensor* b = constant_input(g, n, 2, where, "B", false);
    const auto& wv = float_values(w, where, "W");
    if (int(w.dims.size()) != in.rank)
        throw Error(where + ": W " + dims_text(w.dims) + " has rank " + std::to_string(w.dims.size()) + ", the input " + std::to_string(in.rank));
    const std::int64_t groups = a.i("group", 1);
    if (groups < 1) throw Error(where + ": group = " + std::to_string(groups) + " must be at least 1");
    const std::int64_t filters = w.dims[0], group_inputs = w.dims[1];
    if (in.shape.c % groups != 0 || group_inputs != in.shape.c / groups)
        throw Error(where + ": W " + dims_text(w.dims) + " reads " + std::to_string(group_inputs) + " channels per group but the input has " +
                    std::to_string(in.shape.c) + " channels in " + std::to_string(groups) + " group(s)");
    const Window win = window_of(a, in, std::vector<std::int64_t>(w.dims.begin() + 2, w.dims.end()), true);
    ConvAttrs c;
    c.filters = filters, c.kernel = win.kernel, c.stride = win.stride, c.dilation = win.dilation, c.padding = win.padding;
    c.groups = groups;
    c.bias = b != nullptr;
    Mapped m;
    // ONNX [O][I/G][KH][KW] to kiln's [KH][KW][I/G][O].
    const std::int64_t kh = win.kernel.h, kw = win.kernel.w;
    std::vector<float> kiln(wv.size());
    for (std::int64_t o = 0; o < filters; ++o)
        for (std::int64_t i = 0; i < group_inputs; ++i)
            for (std::int64_t y = 0; y < kh; ++y)
                for (std::int64_t x = 0; x < kw; ++x)
                    kiln[std::size_t(((y * kw + x) * group_inputs + i) * filters + o)] = wv[std::size_t(((o * group_inputs + i) * kh + y) * kw + x)];
    m.params["weights"] = std::move(kiln);
    m.sources["weights"] = w.name;
    if (b) {
        if (b->elements() != filters) throw Error(where + ": B " + dims_text(b->dims) + " does not hold one value per filter (" + std::to_string(filters) + ")");
        m.params["bias"] = float_values(*b, where, "B");
        m.sources["bias"] = b->name;
    }
    m.attrs = c;
    m.out = in;
    return m;
}

Mapped pool(const NodeProto& n, const std::string& where, const OnnxLayout& in, PoolFunction function) {
    const bool max = function == PoolFunction::max;
    Attributes a = max ? Attributes(n, where, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"})
                       : Attributes(n, where, {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"});
    require_image(in, where);
    if (!a.has("kernel_shape")) throw Error(where + ": attribute 'kernel_shape' is missing");
    if (a.i("storage_order", 0) != 0)
        throw Error(where + ": storage_order = 1 is not supported: it orders only the Indices output, which kiln does not compute");
    const Window win = window_of(a, in, a.ints("kernel_shape"), true);
    PoolAttrs p;
    p.function = function, p.window = win.kernel, p.stride = win.stride, p.padding = win.padding, p.dilation = win.dilation;
    p.count_padding = !max && a.i("count_include_pad", 0) != 0;
    p.ceil_mode = a.i("ceil_mode", 0) != 0;
    Mapped m;
    m.attrs = p;
    m.out = in;
    return m;
}

Mapped activation(const NodeProto& n, const std::string& where, const OnnxLayout& in, ActivationFunction f) {
    Attributes a = f == ActivationFunction::leaky_relu ? Attributes(n, where, {"alpha"}) : Attributes(n, where, {});
    ActivationAttrs act = f == ActivationFunction::hard_swish ? HardSwish::attrs : ActivationAttrs{};  // its fixed alpha and beta
    act.function = f;
    if (f == ActivationFunction::leaky_relu) {
        const float alpha = a.f("alpha", 0.01f);
        if (!(alpha >= 0) || !std::isfinite(alpha))
            throw Error(where + ": alpha = " + number(alpha) + " is not supported: kiln's LeakyRelu slope is a ratio of at least 0");
        const Ratio r = ratio_of(alpha);
        act.slope = r.value(), act.slope_num = r.num, act.slope_den = r.den;
    }
    Mapped m;
    m.attrs = act;
    m.out = in;
    return m;
}

// HardSigmoid(alpha, beta); HardSwish is HardSigmoid(1/6, 1/2) times its input.
Mapped hard_sigmoid(const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {"alpha", "beta"});
    const float alpha = a.f("alpha", 0.2f), beta = a.f("beta", 0.5f);
    if (!(alpha >= 0) || !std::isfinite(alpha) || !std::isfinite(beta))
        throw Error(where + ": alpha = " + number(alpha) + ", beta = " + number(beta) +
                    " is not supported: kiln's HardSigmoid takes a finite alpha of at least 0 and a finite beta");
    const Ratio ra = ratio_of(alpha), rb = ratio_of(beta);
    Mapped m;
    m.attrs = hard_sigmoid_attrs(ActivationFunction::hard_sigmoid, ra.value(), ra.num, ra.den, rb.value(), rb.num, rb.den);
    m.out = in;
    return m;
}

Mapped clip(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    float low = -std::numeric_limits<float>::infinity(), high = std::numeric_limits<float>::infinity();
    if (g.opset < 11) {
        Attributes a(n, where, {"min", "max"});
        low = a.f("min", -std::numeric_limits<float>::max());
        high = a.f("max", std::numeric_limits<float>::max());
    } else {
        Attributes a(n, where, {});
        if (const OnnxTensor* t = constant_input(g, n, 1, where, "min", false)) low = scalar(*t, where, "min");
        if (const OnnxTensor* t = constant_input(g, n, 2, where, "max", false)) high = scalar(*t, where, "max");
    }
    const float big = std::numeric_limits<float>::max();
    auto unbounded = [&](float v) { return std::isinf(v) || std::fabs(v) >= big; };
    Mapped m;
    m.out = in;
    ActivationAttrs act;
    if (low == 0 && unbounded(high)) {
        act.function = ActivationFunction::relu;
    } else {
        if (unbounded(low) || unbounded(high) || std::isnan(low) || std::isnan(high))
            throw Error(where + ": min = " + number(low) + ", max = " + number(high) +
                        " is not supported: kiln's Clip needs both bounds finite (or min = 0 alone, a ReLU)");
        if (low > high) throw Error(where + ": min = " + number(low) + " is above max = " + number(high));
        const Ratio lo = ratio_of(low), hi = ratio_of(high);
        act.function = ActivationFunction::clip;
        act.low = lo.value(), act.high = hi.value();
        act.low_num = lo.num, act.low_den = lo.den, act.high_num = hi.num, act.high_den = hi.den;
    }
    m.attrs = act;
    return m;
}

// Softmax over ONNX axis 1, which is kiln's channel axis. Before opset 13 the operator flattens
// every axis from `axis` on, which is the same only where the axes after channels have extent 1.
Mapped softmax(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in, bool log) {
    Attributes a(n, where, {"axis"});
    const std::int64_t fallback = g.opset < 13 ? 1 : -1;
    std::int64_t axis = a.i("axis", fallback);
    if (axis < 0) axis += in.rank;
    const bool pixels_of_one = in.shape.h == 1 && in.shape.w == 1;
    const bool channels_only = in.rank == 2 ? !in.flattened || pixels_of_one : (g.opset >= 13 || pixels_of_one);
    if (axis != 1 || !channels_only)
        throw Error(where + ": axis = " + std::to_string(a.i("axis", fallback)) + " over an input of rank " + std::to_string(in.rank) +
                    " (opset " + std::to_string(g.opset) + ") is not supported: kiln's softmax normalizes over channels (ONNX axis 1) alone");
    SoftmaxAttrs s;
    s.log = log;
    Mapped m;
    m.attrs = s;
    m.out = in;
    return m;
}

// Dense from a [K, U] matrix (after transB) applied to a 2-D input whose K features are kiln's
// H x W x C tensor flattened in ONNX's order: kiln's weights are [flat (y, x, c)][u].
std::vector<float> dense_weights(const std::vector<float>& b, bool transposed, std::int64_t units, const OnnxLayout& in, float alpha) {
    const Shape s = in.shape;
    std::vector<float> kiln(std::size_t(s.elements() * units));
    for (std::int64_t y = 0; y < s.h; ++y)
        for (std::int64_t x = 0; x < s.w; ++x)
            for (std::int64_t c = 0; c < s.c; ++c) {
                const std::int64_t flat = (y * s.w + x) * s.c + c, k = (c * s.h + y) * s.w + x;
                for (std::int64_t u = 0; u < units; ++u)
                    kiln[std::size_t(flat * units + u)] =
                        alpha * b[std::size_t(transposed ? u * s.elements() + k : k * units + u)];
            }
    return kiln;
}

void require_matrix_input(const OnnxLayout& in, const std::string& where) {
    if (in.rank != 2)
        throw Error(where + ": its input has rank " + std::to_string(in.rank) + "; kiln maps it to Dense on a 2-D [N, features] input (insert a Flatten)");
}

Mapped gemm(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {"alpha", "beta", "transA", "transB", "broadcast"});
    require_matrix_input(in, where);
    if (a.i("transA", 0) != 0) throw Error(where + ": transA = 1 is not supported: it would exchange the batch and feature axes of the input");
    const bool trans_b = a.i("transB", 0) != 0;
    const float alpha = a.f("alpha", 1.0f), beta = a.f("beta", 1.0f);
    const OnnxTensor& b = *constant_input(g, n, 1, where, "B", true);
    const OnnxTensor* c = constant_input(g, n, 2, where, "C", false);
    const std::int64_t features = in.shape.elements();
    if (b.dims.size() != 2 || b.dims[trans_b ? 1 : 0] != features)
        throw Error(where + ": B " + dims_text(b.dims) + (trans_b ? " (transposed)" : "") + " does not take the input's " + std::to_string(features) + " features");
    const std::int64_t units = b.dims[trans_b ? 0 : 1];
    Mapped m;
    m.params["weights"] = dense_weights(float_values(b, where, "B"), trans_b, units, in, alpha);
    m.sources["weights"] = b.name;
    DenseAttrs d;
    d.units = units;
    d.bias = c != nullptr;
    if (c) {
        const auto& cv = float_values(*c, where, "C");
        // C broadcasts to [N, U]: a bias only if it does not vary along N.
        const bool per_unit = c->elements() == units && (c->dims.size() == 1 || (c->dims.size() == 2 && c->dims[0] == 1));
        const bool one = c->elements() == 1;
        if (!per_unit && !one)
            throw Error(where + ": C " + dims_text(c->dims) + " is not supported: kiln's Dense adds one bias per unit ([U], [1, U] or a scalar), not per example");
        std::vector<float> bias(static_cast<std::size_t>(units));
        for (std::int64_t u = 0; u < units; ++u) bias[std::size_t(u)] = beta * cv[one ? 0 : std::size_t(u)];
        m.params["bias"] = std::move(bias);
        m.sources["bias"] = c->name;
    }
    m.attrs = d;
    m.out = OnnxLayout{Shape{1, 1, units}, 2, false};
    return m;
}

Mapped matmul(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {});
    if (in.channels_last) {
        // [N, H, W, C] x [C, O]: torchvision's Linear on channels-last pixels, a 1x1 conv. B's
        // [C][O] is kiln's [KH][KW][I][O] for a 1x1 kernel.
        if (g.is_constant(n.input(0))) throw Error(where + ": a constant times the data is not supported");
        const OnnxTensor& b = *constant_input(g, n, 1, where, "B", true);
        if (b.dims.size() != 2 || b.dims[0] != in.shape.c)
            throw Error(where + ": B " + dims_text(b.dims) + " does not take the input's " + std::to_string(in.shape.c) + " channels");
        ConvAttrs c;
        c.filters = b.dims[1], c.kernel = {1, 1}, c.bias = false;
        Mapped m;
        m.params["weights"] = float_values(b, where, "B");
        m.sources["weights"] = b.name;
        m.attrs = c;
        m.out = in;
        return m;
    }
    require_matrix_input(in, where);
    if (g.is_constant(n.input(0))) throw Error(where + ": a constant times the data is not supported: kiln maps data x constant to Dense");
    const OnnxTensor& b = *constant_input(g, n, 1, where, "B", true);
    if (b.dims.size() != 2 || b.dims[0] != in.shape.elements())
        throw Error(where + ": B " + dims_text(b.dims) + " does not take the input's " + std::to_string(in.shape.elements()) + " features");
    Mapped m;
    m.params["weights"] = dense_weights(float_values(b, where, "B"), false, b.dims[1], in, 1.0f);
    m.sources["weights"] = b.name;
    DenseAttrs d;
    d.units = b.dims[1];
    d.bias = false;
    m.attrs = d;
    m.out = OnnxLayout{Shape{1, 1, d.units}, 2, false};
    return m;
}

Mapped lrn(const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {"alpha", "beta", "bias", "size"});
    require_image(in, where);
    if (!a.has("size")) throw Error(where + ": attribute 'size' is missing");
    const std::int64_t size = a.i("size", 0);
    if (size < 1 || size % 2 == 0)
        throw Error(where + ": size = " + std::to_string(size) + " is not supported: kiln's Lrn sums a window centred on the channel (odd size)");
    const float alpha = a.f("alpha", 1e-4f), beta = a.f("beta", 0.75f), bias = a.f("bias", 1.0f);
    if (!(alpha >= 0) || !(beta >= 0) || !std::isfinite(alpha) || !std::isfinite(beta) || !std::isfinite(bias))
        throw Error(where + ": alpha = " + number(alpha) + ", beta = " + number(beta) + " must be finite and not negative");
    // ONNX divides alpha by the window size; TensorFlow's formula, kiln's, does not.
    const Ratio al = ratio_of(float(double(alpha) / double(size))), be = ratio_of(beta), bi = ratio_of(bias);
    LrnAttrs l;
    l.radius = (size - 1) / 2;
    l.bias = bi.value(), l.alpha = al.value(), l.beta = be.value();
    l.alpha_num = al.num, l.alpha_den = al.den, l.beta_num = be.num, l.beta_den = be.den;
    Mapped m;
    m.attrs = l;
    m.out = in;
    return m;
}

Mapped dropout(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    float rate = 0.5f;
    if (g.opset < 12) {
        Attributes a(n, where, {"ratio", "is_test", "seed", "consumed_inputs"});
        rate = a.f("ratio", 0.5f);
    } else {
        Attributes a(n, where, {"seed"});
        if (const OnnxTensor* r = constant_input(g, n, 1, where, "ratio", false)) rate = scalar(*r, where, "ratio");
        if (const OnnxTensor* t = constant_input(g, n, 2, where, "training_mode", false))
            if (scalar(*t, where, "training_mode") != 0) throw Error(where + ": training_mode = true is not supported: kiln imports nets for inference");
    }
    if (!(rate >= 0 && rate < 1)) throw Error(where + ": ratio = " + number(rate) + " is outside [0, 1)");
    const Ratio r = ratio_of(rate);
    Mapped m;
    m.attrs = DropoutAttrs{r.num, r.den};
    m.out = in;
    return m;
}

Mapped flatten(const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {"axis"});
    std::int64_t axis = a.i("axis", 1);
    if (axis < 0) axis += in.rank;
    if (axis != 1)
        throw Error(where + ": axis = " + std::to_string(a.i("axis", 1)) + " is not supported: kiln keeps the batch axis apart (axis = 1)");
    Mapped m;
    m.out = OnnxLayout{in.shape, 2, in.rank == 2 ? in.flattened : in.shape.h * in.shape.w > 1};
    return m;
}

// Reshape only to a flattening [N, C*H*W] (0 or -1 for N) or to the input's own shape.
Mapped reshape(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    std::vector<std::int64_t> target;
    bool allow_zero = false;
    if (g.opset < 5) {
        Attributes a(n, where, {"shape", "consumed_inputs"});
        target = a.ints("shape");
    } else {
        Attributes a(n, where, {"allowzero"});
        allow_zero = a.i("allowzero", 0) != 0;
        // A target computed from the input's own Shape may hold the batch as its first extent
        // (x.view(x.size(0), -1)): that is the batch kept, as 0 says.
        const auto batch = n.input_size() > 1 ? g.batch_entries.find(n.input(1)) : g.batch_entries.end();
        const bool batch_first = batch != g.batch_entries.end() && !batch->second.empty() && batch->second[0] &&
                                 std::count(batch->second.begin(), batch->second.end(), 1) == 1;
        if (batch != g.batch_entries.end() && !batch_first)
            throw Error(where + ": its target shape holds the batch extent past its first entry; kiln keeps the batch first");
        const OnnxTensor& s = batch_first ? g.constants.at(n.input(1)) : *constant_input(g, n, 1, where, "shape", true);
        if (!s.integral || s.dims.size() != 1) throw Error(where + ": shape '" + s.name + "' must be a 1-D integer tensor");
        target = s.ints;
        if (batch_first) target[0] = allow_zero ? -1 : 0;
    }
    const std::vector<std::int64_t> own = in.dims(-1);
    const std::int64_t features = in.shape.elements();
    Mapped m;
    // The batch stays where it is: copied (0) or inferred (-1) from the rest, or written as the 1 of
    // a model exported at batch 1 (the exporter folded x.view(x.size(0), -1) to [1, -1]).
    const bool batch_kept = !target.empty() && ((target[0] == 0 && !allow_zero) || target[0] == -1 || (target[0] == 1 && g.input_batch == 1));
    std::vector<std::int64_t> rest(target.begin() + (target.empty() ? 0 : 1), target.end());
    for (std::size_t i = 0; i < rest.size(); ++i)
        if (rest[i] == 0 && !allow_zero && i + 1 < own.size()) rest[i] = own[i + 1];
    const bool flattening = rest.size() == 1 && (rest[0] == features || (rest[0] == -1 && target[0] != -1));
    if (batch_kept && flattening) {
        m.out = OnnxLayout{in.shape, 2, in.rank == 2 ? in.flattened : in.shape.h * in.shape.w > 1};
        return m;
    }
    if (batch_kept && std::equal(rest.begin(), rest.end(), own.begin() + 1, own.end())) {
        m.out = in;
        return m;
    }
    throw Error(where + ": shape " + dims_text(target) + " is not supported: kiln reshapes only to a flattening [N, " + std::to_string(features) +
                "] of its input [N, " + dims_text(std::vector<std::int64_t>(own.begin() + 1, own.end())).substr(1) + " (N as 0 or -1)");
}

// Slice of the channel axis (the others kept whole) as a ChannelSlice.
Mapped slice(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    std::vector<std::int64_t> starts, ends, axes, steps;
    if (g.opset < 10) {
        Attributes a(n, where, {"starts", "ends", "axes"});
        starts = a.ints("starts"), ends = a.ints("ends"), axes = a.ints("axes");
    } else {
        Attributes a(n, where, {});
        const auto values = [&](int index, const char* role, bool required) {
            const OnnxTensor* t = constant_input(g, n, index, where, role, required);
            if (t && (!t->integral || t->dims.size() != 1)) throw Error(where + ": " + role + " must be a 1-D integer tensor");
            return t ? t->ints : std::vector<std::int64_t>{};
        };
        starts = values(1, "starts", true), ends = values(2, "ends", true), axes = values(3, "axes", false), steps = values(4, "steps", false);
    }
    if (axes.empty())
        for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(std::int64_t(i));
    if (starts.size() != ends.size() || axes.size() != starts.size() || (!steps.empty() && steps.size() != starts.size()))
        throw Error(where + ": starts, ends, axes and steps must have one value per sliced axis");
    if (in.flattened) throw Error(where + ": slices a flattened tensor; kiln slices channels of [N, C, H, W] or [N, C, W] tensors");
    const std::vector<std::int64_t> dims = in.dims(1);
    ChannelSliceAttrs s{0, in.shape.c};
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::int64_t axis = axes[i] < 0 ? axes[i] + in.rank : axes[i];
        if (axis < 0 || axis >= in.rank) throw Error(where + ": axis " + std::to_string(axes[i]) + " is not an axis of the input");
        // The batch is free: only a slice that keeps all of any batch leaves it alone.
        if (axis == 0 && (starts[i] != 0 || ends[i] < std::numeric_limits<std::int32_t>::max() || (!steps.empty() && steps[i] != 1)))
            throw Error(where + ": slices the batch axis; kiln's nets take any batch");
        if (axis == 0) continue;
        const std::int64_t size = dims[std::size_t(axis)];
        const auto bound = [&](std::int64_t b) { return std::clamp(b < 0 ? b + size : b, std::int64_t(0), size); };
        const std::int64_t begin = bound(starts[i]), end = bound(ends[i]);
        if (!steps.empty() && steps[i] != 1) throw Error(where + ": step " + std::to_string(steps[i]) + " is not supported: kiln slices with step 1");
        if (axis == 1) {
            s.begin = begin, s.end = end;
        } else if (begin != 0 || end != size) {
            throw Error(where + ": slices axis " + std::to_string(axis) + "; kiln slices only channels (axis 1)");
        }
    }
    Mapped m;
    m.attrs = s;
    m.out = in;  // the shape is set from the layer
    return m;
}

// ReduceMean / ReduceMax over the spatial axes (MnasNet's head: x.mean([2, 3])) as the global pools.
Mapped reduce_spatial(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in, bool mean) {
    Attributes a(n, where, {"axes", "keepdims"});
    require_image(in, where);
    if (g.opset >= 18 || n.input_size() > 1) throw Error(where + ": axes given as an input (opset 18) are not supported");
    std::vector<std::int64_t> axes = a.ints("axes");
    for (std::int64_t& axis : axes)
        if (axis < 0) axis += in.rank;
    std::sort(axes.begin(), axes.end());
    const std::vector<std::int64_t> spatial = in.rank == 4 ? std::vector<std::int64_t>{2, 3} : std::vector<std::int64_t>{2};
    if (axes != spatial)
        throw Error(where + ": axes " + dims_text(a.ints("axes")) + " are not supported: kiln reduces over the spatial axes " +
                    dims_text(spatial) + " alone (a global pool)");
    Mapped m;
    if (mean) m.attrs = GlobalAvgPoolAttrs{};
    else m.attrs = GlobalMaxPoolAttrs{};
    m.out = OnnxLayout{Shape{1, 1, in.shape.c}, a.i("keepdims", 1) ? in.rank : 2, false};
    return m;
}

// Pad: kiln pads inside its Conv and pool layers. A Pad that adds nothing passes (PyTorch exports
// one before an AvgPool2d); zeros around H and W are handed to the walker to fold into the layer
// that reads them (Keras's ZeroPadding2D before a conv).
Mapped pad(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    std::vector<std::int64_t> pads;
    std::string mode = "constant";
    float value = 0;
    if (g.opset < 11) {
        Attributes a(n, where, {"mode", "pads", "paddings", "value"});
        pads = a.has("pads") ? a.ints("pads") : a.ints("paddings");
        mode = a.s("mode", "constant"), value = a.f("value", 0.0f);
    } else {
        Attributes a(n, where, {"mode"});
        mode = a.s("mode", "constant");
        const OnnxTensor& p = *constant_input(g, n, 1, where, "pads", true);
        if (!p.integral) throw Error(where + ": pads '" + p.name + "' must be integers");
        pads = p.ints;
        if (const OnnxTensor* v = constant_input(g, n, 2, where, "constant_value", false)) value = scalar(*v, where, "constant_value");
        if (n.input_size() > 3 && !n.input(3).empty()) throw Error(where + ": input 'axes' is not supported");
    }
    Mapped m;
    m.out = in;
    if (std::all_of(pads.begin(), pads.end(), [](std::int64_t v) { return v == 0; })) return m;
    const std::size_t rank = std::size_t(in.rank);
    const bool spatial_zeros = pads.size() == 2 * rank && in.rank != 2 && pads[0] == 0 && pads[1] == 0 && pads[rank] == 0 &&
                               pads[rank + 1] == 0 && std::all_of(pads.begin(), pads.end(), [](std::int64_t v) { return v >= 0; });
    if (mode != "constant" || value != 0 || !spatial_zeros)
        throw Error(where + ": pads " + dims_text(pads) + " (mode " + mode + ", value " + number(value) +
                    ") are not supported: kiln pads H and W with zeros, inside the Conv or average pool that reads them");
    const Pads rows = in.rank == 4 ? Pads{pads[2], pads[rank + 2]} : Pads{0, 0};
    const Pads cols = in.rank == 4 ? Pads{pads[3], pads[rank + 3]} : Pads{pads[2], pads[rank + 2]};
    m.zero_pad = std::make_pair(rows, cols);
    m.out.shape = Shape{in.shape.h + rows.begin + rows.end, in.shape.w + cols.begin + cols.end, in.shape.c};
    return m;
}

}  // namespace

Mapped map_operator(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    if (!n.domain().empty() && n.domain() != "ai.onnx")
        throw Error(where + ": operators of domain '" + n.domain() + "' are not supported (only ONNX's default domain)");
    const std::string& op = n.op_type();
    if (op == "Conv") return conv(g, n, where, in);
    if (op == "MaxPool") return pool(n, where, in, PoolFunction::max);
    if (op == "AveragePool") return pool(n, where, in, PoolFunction::average);
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
        Attributes a(n, where, {});
        require_image(in, where);
        Mapped m;
        if (op == "GlobalAveragePool") m.attrs = GlobalAvgPoolAttrs{};
        else m.attrs = GlobalMaxPoolAttrs{};
        m.out = in;
        return m;
    }
    if (op == "Relu") return activation(n, where, in, ActivationFunction::relu);
    if (op == "LeakyRelu") return activation(n, where, in, ActivationFunction::leaky_relu);
    if (op == "Sigmoid") return activation(n, where, in, ActivationFunction::sigmoid);
    if (op == "Tanh") return activation(n, where, in, ActivationFunction::tanh);
    if (op == "HardSigmoid") return hard_sigmoid(n, where, in);
    if (op == "HardSwish") return activation(n, where, in, ActivationFunction::hard_swish);
    if (op == "Clip") return clip(g, n, where, in);
    if (op == "Softmax" || op == "LogSoftmax") return softmax(g, n, where, in, op == "LogSoftmax");
    if (op == "Gemm") return gemm(g, n, where, in);
    if (op == "MatMul") return matmul(g, n, where, in);
    if (op == "LRN") return lrn(n, where, in);
    if (op == "Dropout") return dropout(g, n, where, in);
    if (op == "Flatten") return flatten(n, where, in);
    if (op == "Reshape") return reshape(g, n, where, in);
    if (op == "Slice") return slice(g, n, where, in);
    if (op == "Pad") return pad(g, n, where, in);
    if (op == "Concat" && n.input_size() == 1) {  // of one tensor: itself (DenseNet's first layer)
        Attributes a(n, where, {"axis"});
        Mapped m;
        m.out = in;
        return m;
    }
    if (op == "ReduceMean" || op == "ReduceMax") return reduce_spatial(g, n, where, in, op == "ReduceMean");
    if (op == "Identity") {
        Attributes a(n, where, {});
        Mapped m;
        m.out = in;
        return m;
    }
    std::string known;
    for (const std::string& s : supported_operators()) known += (known.empty() ? "" : ", ") + s;
    throw Error(where + ": operator " + op + " is not supported (kiln maps " + known + ")");
}

std::optional<std::vector<float>> channel_bias(const Graph& g, const NodeProto& n, const std::string& constant, const OnnxLayout& in) {
    const OnnxTensor& t = g.constants.at(constant);
    if (t.integral) return std::nullopt;
    const std::int64_t channels = in.shape.c;
    // Old Add (before opset 7): broadcast = 1 aligns the constant at `axis`.
    std::int64_t align = -1;
    for (const auto& a : n.attribute())
        if (a.name() == "axis") align = a.i();
    std::vector<std::int64_t> dims = t.dims;
    const std::vector<std::int64_t> out = in.dims(1);
    if (g.opset < 7 && align >= 0)  // pad the constant's dims on the right to the output's rank
        while (std::int64_t(dims.size()) + align < std::int64_t(out.size())) dims.push_back(1);
    if (dims.size() > out.size()) return std::nullopt;
    // Right-aligned, as numpy broadcasts: only the channel axis (ONNX axis 1) may exceed 1.
    const std::size_t offset = out.size() - dims.size();
    for (std::size_t i = 0; i < dims.size(); ++i) {
        const std::size_t axis = offset + i;
        if (dims[i] == 1) continue;
        if (axis != std::size_t(in.channel_axis()) || dims[i] != channels) return std::nullopt;
    }
    std::vector<float> bias(static_cast<std::size_t>(channels));
    for (std::int64_t c = 0; c < channels; ++c) bias[std::size_t(c)] = t.floats[t.floats.size() == 1 ? 0 : std::size_t(c)];
    return bias;
}

ScaleShift batch_norm_scale_shift(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    Attributes a(n, where, {"epsilon", "momentum", "spatial", "is_test", "training_mode", "consumed_inputs"});
    if (a.i("spatial", 1) != 1) throw Error(where + ": spatial = 0 is not supported: kiln normalizes per channel");
    if (a.i("training_mode", 0) != 0) throw Error(where + ": training_mode = 1 is not supported: kiln imports nets for inference");
    if (in.rank == 2 && in.flattened) throw Error(where + ": its input is a flattened image; kiln normalizes per channel");
    const double eps = a.f("epsilon", 1e-5f);
    const char* roles[] = {"scale", "B", "mean", "var"};
    const std::vector<float>* v[4];
    ScaleShift s;
    for (int i = 0; i < 4; ++i) {
        const OnnxTensor& t = *constant_input(g, n, i + 1, where, roles[i], true);
        v[i] = &float_values(t, where, roles[i]);
        if (t.elements() != in.shape.c)
            throw Error(where + ": " + roles[i] + " " + dims_text(t.dims) + " does not hold one value per channel (" + std::to_string(in.shape.c) + ")");
        s.sources += (i ? ", " : "") + t.name;
    }
    for (std::int64_t c = 0; c < in.shape.c; ++c) {
        const std::size_t k = std::size_t(c);
        const double scale = double((*v[0])[k]) / std::sqrt(double((*v[3])[k]) + eps);
        s.scale.push_back(float(scale));
        s.shift.push_back(float(double((*v[1])[k]) - double((*v[2])[k]) * scale));
    }
    return s;
}

std::vector<std::pair<extent_t, extent_t>> split_channels(const Graph& g, const NodeProto& n, const std::string& where, const OnnxLayout& in) {
    // The sizes: attribute `split` before opset 13, input 1 from 13; equal parts without them
    // (opset 18's num_outputs names their count; a last part may then be smaller).
    Attributes a(n, where, {"axis", "split", "num_outputs"});
    std::vector<std::int64_t> sizes = a.ints("split");
    if (const OnnxTensor* t = constant_input(g, n, 1, where, "split", false)) {
        if (!t->integral || t->dims.size() != 1) throw Error(where + ": split must be a 1-D integer tensor");
        sizes = t->ints;
    }
    std::int64_t axis = a.i("axis", 0);
    if (axis < 0) axis += in.rank;
    if (in.flattened || axis != in.channel_axis())
        throw Error(where + ": splits axis " + std::to_string(a.i("axis", 0)) + " of " + dims_text(in.dims(1)) +
                    "; kiln splits only channels (axis 1 of [N, C, H, W] or [N, C], axis 3 of [N, H, W, C])");
    const std::int64_t channels = in.shape.c, parts = n.output_size();
    if (parts < 1) throw Error(where + ": has no outputs");
    if (sizes.empty()) {
        const std::int64_t part = g.opset >= 18 ? (channels + parts - 1) / parts : channels / parts;
        if (g.opset < 18 && channels % parts != 0)
            throw Error(where + ": " + std::to_string(channels) + " channels do not split into " + std::to_string(parts) + " equal parts");
        for (std::int64_t k = 0; k < parts; ++k) sizes.push_back(std::min(part, channels - k * part));
    }
    if (std::int64_t(sizes.size()) != parts)
        throw Error(where + ": split gives " + std::to_string(sizes.size()) + " sizes for " + std::to_string(parts) + " outputs");
    std::vector<std::pair<extent_t, extent_t>> ranges;
    std::int64_t begin = 0;
    for (std::int64_t size : sizes) {
        if (size < 1 || size > channels - begin)
            throw Error(where + ": split sizes " + dims_text(sizes) + " do not divide the input's " + std::to_string(channels) + " channels");
        ranges.emplace_back(extent_t(begin), extent_t(begin + size));
        begin += size;
    }
    if (begin != channels)
        throw Error(where + ": split sizes " + dims_text(sizes) + " add up to " + std::to_string(begin) + ", not the input's " +
                    std::to_string(channels) + " channels");
    return ranges;
}

}  // namespace kiln::onnx::detail
