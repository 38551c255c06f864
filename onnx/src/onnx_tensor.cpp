// OnnxTensor: TensorProto values in and out, and ONNX's NCHW against kiln's NHWC.
#include "kiln/onnx/onnx_tensor.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <fstream>
#include <sstream>

#include "kiln/runtime/atomic_file.hpp"
#include "kiln/runtime/error.hpp"
#include "proto.hpp"

namespace kiln::onnx {

namespace {

constexpr std::int64_t max_elements = std::int64_t(1) << 31;

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h >> 15) << 31, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    float magnitude;
    if (exponent == 0) magnitude = std::ldexp(float(mantissa), -24);
    else if (exponent == 31) magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else magnitude = std::ldexp(float(mantissa | 0x400), int(exponent) - 25);
    return sign ? -magnitude : magnitude;
}

float bfloat16_to_float(std::uint16_t b) {
    const std::uint32_t bits = std::uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

template <class T>
T little_endian_at(const std::string& raw, std::size_t i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));  // x86-64 and the model: little-endian
    return v;
}

}  // namespace

std::int64_t OnnxTensor::elements() const {
    std::int64_t n = 1;
    for (std::int64_t d : dims) n *= d;
    return n;
}

std::vector<std::int64_t> OnnxLayout::dims(std::int64_t batch) const {
    switch (rank) {
    case 4: return channels_last ? std::vector<std::int64_t>{batch, shape.h, shape.w, shape.c} : std::vector<std::int64_t>{batch, shape.c, shape.h, shape.w};
    case 3: return {batch, shape.c, shape.w};
    default: return {batch, shape.h * shape.w * shape.c};
    }
}

namespace detail {

std::string dims_text(const std::vector<std::int64_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

OnnxTensor tensor_from_proto(const ::onnx::TensorProto& p, const std::string& where) {
    using TP = ::onnx::TensorProto;
    OnnxTensor t;
    t.name = p.name();
    if (p.data_location() == TP::EXTERNAL)
        throw Error(where + ": data stored outside the model file (external data) is not supported");
    if (p.has_segment()) throw Error(where + ": segmented tensors are not supported");
    std::int64_t n = 1;
    for (std::int64_t d : p.dims()) {
        if (d < 0) throw Error(where + ": negative dimension " + std::to_string(d));
        if (d > 0 && n > max_elements / d) throw Error(where + ": more than 2^31 values");
        n *= d;
        t.dims.push_back(d);
    }
    const std::string& raw = p.raw_data();
    const bool has_raw = p.has_raw_data();
    auto count_check = [&](std::size_t have, const char* field) {
        if (std::int64_t(have) != n)
            throw Error(where + ": dims " + dims_text(t.dims) + " hold " + std::to_string(n) + " values but " + field +
                        " has " + std::to_string(have));
    };
    auto raw_count = [&](std::size_t bytes) {
        if (raw.size() % bytes) throw Error(where + ": raw_data of " + std::to_string(raw.size()) + " bytes is not a whole number of values");
        count_check(raw.size() / bytes, "raw_data");
        return std::size_t(n);
    };
    switch (p.data_type()) {
    case TP::FLOAT:
        if (has_raw) {
            for (std::size_t i = 0, e = raw_count(4); i < e; ++i) t.floats.push_back(little_endian_at<float>(raw, i));
        } else {
            count_check(std::size_t(p.float_data_size()), "float_data");
            t.floats.assign(p.float_data().begin(), p.float_data().end());
        }
        break;
    case TP::DOUBLE:
        if (has_raw) {
            for (std::size_t i = 0, e = raw_count(8); i < e; ++i) t.floats.push_back(float(little_endian_at<double>(raw, i)));
        } else {
            count_check(std::size_t(p.double_data_size()), "double_data");
            for (double v : p.double_data()) t.floats.push_back(float(v));
        }
        break;
    case TP::FLOAT16:
    case TP::BFLOAT16: {
        const bool half = p.data_type() == TP::FLOAT16;
        auto convert = [&](std::uint16_t bits) { return half ? half_to_float(bits) : bfloat16_to_float(bits); };
        if (has_raw) {
            for (std::size_t i = 0, e = raw_count(2); i < e; ++i) t.floats.push_back(convert(little_endian_at<std::uint16_t>(raw, i)));
        } else {
            count_check(std::size_t(p.int32_data_size()), "int32_data");
            for (std::int32_t v : p.int32_data()) t.floats.push_back(convert(std::uint16_t(v)));
        }
        break;
    }
    case TP::INT64:
        t.integral = true;
        if (has_raw) {
            for (std::size_t i = 0, e = raw_count(8); i < e; ++i) t.ints.push_back(little_endian_at<std::int64_t>(raw, i));
        } else {
            count_check(std::size_t(p.int64_data_size()), "int64_data");
            t.ints.assign(p.int64_data().begin(), p.int64_data().end());
        }
        break;
    case TP::INT32:
        t.integral = true;
        if (has_raw) {
            for (std::size_t i = 0, e = raw_count(4); i < e; ++i) t.ints.push_back(little_endian_at<std::int32_t>(raw, i));
        } else {
            count_check(std::size_t(p.int32_data_size()), "int32_data");
            t.ints.assign(p.int32_data().begin(), p.int32_data().end());
        }
        break;
    case TP::BOOL:
        t.integral = true;
        if (has_raw) {
            for (std::size_t i = 0, e = raw_count(1); i < e; ++i) t.ints.push_back(raw[i] != 0);
        } else {
            count_check(std::size_t(p.int32_data_size()), "int32_data");
            for (std::int32_t v : p.int32_data()) t.ints.push_back(v != 0);
        }
        break;
    default:
        throw Error(where + ": element type " + TP::DataType_Name(TP::DataType(p.data_type())) +
                    " is not supported (float, double, float16, bfloat16, int32, int64 and bool are)");
    }
    return t;
}

// A Constant node's value as a tensor (its one attribute, whichever form).
OnnxTensor constant_value(const ::onnx::NodeProto& n, const std::string& where) {
    if (n.attribute_size() != 1) throw Error(where + ": a Constant needs exactly one value attribute");
    const ::onnx::AttributeProto& a = n.attribute(0);
    OnnxTensor t;
    if (a.name() == "value") {
        t = tensor_from_proto(a.t(), where + ", attribute 'value'");
    } else if (a.name() == "value_float") {
        t.floats = {a.f()};
    } else if (a.name() == "value_floats") {
        t.floats.assign(a.floats().begin(), a.floats().end());
        t.dims = {std::int64_t(t.floats.size())};
    } else if (a.name() == "value_int") {
        t.integral = true;
        t.ints = {a.i()};
    } else if (a.name() == "value_ints") {
        t.integral = true;
        t.ints.assign(a.ints().begin(), a.ints().end());
        t.dims = {std::int64_t(t.ints.size())};
    } else {
        throw Error(where + ": attribute '" + a.name() + "' is not supported (sparse or string constants)");
    }
    return t;
}

}  // namespace detail

OnnxTensor read_tensor_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read tensor file " + path);
    std::stringstream bytes;
    bytes << in.rdbuf();
    ::onnx::TensorProto p;
    if (!p.ParseFromString(bytes.str())) throw Error("tensor file " + path + " is not an ONNX TensorProto");
    return detail::tensor_from_proto(p, "tensor file " + path);
}

void write_tensor_file(const OnnxTensor& t, const std::string& path) {
    ::onnx::TensorProto p;
    p.set_name(t.name);
    for (std::int64_t d : t.dims) p.add_dims(d);
    p.set_data_type(::onnx::TensorProto::FLOAT);
    p.set_raw_data(std::string(reinterpret_cast<const char*>(t.floats.data()), t.floats.size() * 4));
    std::string bytes;
    if (!p.SerializeToString(&bytes)) throw Error("cannot write tensor file " + path + ": the tensor does not serialize");
    write_file_atomically(path, bytes);
}

Tensor to_kiln(const OnnxTensor& t, const OnnxLayout& layout) {
    if (t.integral) throw Error("tensor '" + t.name + "' holds integers; the net takes floats");
    if (t.dims.empty() || t.dims[0] < 1) throw Error("tensor '" + t.name + "' " + detail::dims_text(t.dims) + " has no batch");
    const std::int64_t batch = t.dims[0];
    if (t.dims != layout.dims(batch))
        throw Error("tensor '" + t.name + "' is " + detail::dims_text(t.dims) + " but the net takes " + detail::dims_text(layout.dims(batch)));
    const Shape s = layout.shape;
    Tensor out(batch, s);
    // NCHW; a rank-2 tensor is a flattened [C, H, W] in the same order, or has H = W = 1. NHWC is kiln's.
    std::size_t i = 0;
    if (layout.channels_last) {
        std::copy(t.floats.begin(), t.floats.end(), out.values().begin());
        return out;
    }
    for (std::int64_t n = 0; n < batch; ++n)
        for (std::int64_t c = 0; c < s.c; ++c)
            for (std::int64_t y = 0; y < s.h; ++y)
                for (std::int64_t x = 0; x < s.w; ++x) out(n, y, x, c) = t.floats[i++];
    return out;
}

OnnxTensor from_kiln(const Tensor& t, const OnnxLayout& layout) {
    if (t.shape() != layout.shape)
        throw Error("tensor of shape " + Tensor::shape_string(t.shape()) + " does not have the layout's " + Tensor::shape_string(layout.shape));
    OnnxTensor out;
    out.dims = layout.dims(t.batch());
    const Shape s = layout.shape;
    out.floats.reserve(t.size());
    if (layout.channels_last) {
        out.floats.assign(t.values().begin(), t.values().end());
        return out;
    }
    for (std::int64_t n = 0; n < t.batch(); ++n)
        for (std::int64_t c = 0; c < s.c; ++c)
            for (std::int64_t y = 0; y < s.h; ++y)
                for (std::int64_t x = 0; x < s.w; ++x) out.floats.push_back(t(n, y, x, c));
    return out;
}

}  // namespace kiln::onnx
