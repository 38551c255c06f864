// Shape arithmetic folded at import (see shape_arithmetic.hpp).
#include "shape_arithmetic.hpp"

#include <algorithm>

#include "kiln/runtime/error.hpp"

namespace kiln::onnx::detail {

namespace {

using ::onnx::NodeProto;

// The integer constant at input `index`, or nullptr when it is absent, not a constant or not integral.
const OnnxTensor* integers(const NodeProto& n, int index, const std::map<std::string, OnnxTensor>& constants) {
    if (index >= n.input_size() || n.input(index).empty()) return nullptr;
    const auto it = constants.find(n.input(index));
    return it == constants.end() || !it->second.integral ? nullptr : &it->second;
}

std::optional<std::int64_t> attribute(const NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return a.i();
    return std::nullopt;
}

std::vector<std::int64_t> attribute_ints(const NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return {a.ints().begin(), a.ints().end()};
    return {};
}

OnnxTensor ints_of(std::vector<std::int64_t> values, std::vector<std::int64_t> dims) {
    OnnxTensor t;
    t.integral = true;
    t.ints = std::move(values);
    t.dims = std::move(dims);
    return t;
}

bool vector_or_scalar(const OnnxTensor& t) { return t.dims.size() <= 1; }

std::int64_t arithmetic(const std::string& op, std::int64_t a, std::int64_t b, const std::string& where) {
    std::int64_t r = 0;
    bool overflow = false;
    if (op == "Add") overflow = __builtin_add_overflow(a, b, &r);
    else if (op == "Sub") overflow = __builtin_sub_overflow(a, b, &r);
    else if (op == "Mul") overflow = __builtin_mul_overflow(a, b, &r);
    else {
        if (b == 0 || (a == INT64_MIN && b == -1)) throw Error(where + ": divides " + std::to_string(a) + " by " + std::to_string(b));
        r = a / b;  // ONNX's integer Div truncates, as C++'s does
    }
    if (overflow) throw Error(where + ": " + op + " of " + std::to_string(a) + " and " + std::to_string(b) + " overflows 64 bits");
    return r;
}

}  // namespace

std::optional<Folded> fold_shape_arithmetic(const NodeProto& n, const std::map<std::string, OnnxTensor>& constants,
                                           const std::map<std::string, std::vector<char>>& batch,
                                           const std::map<std::string, std::vector<std::int64_t>>& dims_of, int opset,
                                           const std::string& where) {
    if (!(n.domain().empty() || n.domain() == "ai.onnx") || n.output_size() != 1) return std::nullopt;
    const std::string& op = n.op_type();
    // Input `index`'s batch marks, one per value (all 0 when it has none).
    const auto marks = [&](int index, const OnnxTensor& t) {
        const auto it = batch.find(n.input(index));
        return it == batch.end() ? std::vector<char>(t.ints.size(), 0) : it->second;
    };
    const auto folded = [](OnnxTensor t, std::vector<char> b) {
        if (std::none_of(b.begin(), b.end(), [](char c) { return c != 0; })) b.clear();
        return Folded{std::move(t), std::move(b)};
    };
    if (op == "Shape") {
        if (n.input_size() != 1) return std::nullopt;
        const auto it = dims_of.find(n.input(0));
        if (it == dims_of.end()) return std::nullopt;
        const std::int64_t rank = std::int64_t(it->second.size());
        const auto clamp_axis = [&](std::int64_t a) { return std::clamp(a < 0 ? a + rank : a, std::int64_t(0), rank); };
        const std::int64_t start = clamp_axis(attribute(n, "start").value_or(0)), end = std::max(start, clamp_axis(attribute(n, "end").value_or(rank)));
        std::vector<std::int64_t> dims(it->second.begin() + start, it->second.begin() + end);
        std::vector<char> b(dims.size(), 0);
        if (start == 0 && !dims.empty()) b[0] = 1, dims[0] = 0;  // the batch, whatever the model was exported with
        const std::int64_t count = std::int64_t(dims.size());
        return folded(ints_of(std::move(dims), {count}), std::move(b));
    }
    if (op == "Gather") {
        const OnnxTensor *data = integers(n, 0, constants), *index = integers(n, 1, constants);
        if (!data || !index || data->dims.size() != 1 || !vector_or_scalar(*index) || attribute(n, "axis").value_or(0) != 0) return std::nullopt;
        if (batch.count(n.input(1))) throw Error(where + ": gathers at an index computed from the batch extent");
        const std::vector<char> from = marks(0, *data);
        std::vector<std::int64_t> out;
        std::vector<char> b;
        for (std::int64_t i : index->ints) {
            const std::int64_t size = std::int64_t(data->ints.size());
            if (i < -size || i >= size) throw Error(where + ": index " + std::to_string(i) + " is outside the " + std::to_string(size) + " values gathered from");
            out.push_back(data->ints[std::size_t(i < 0 ? i + size : i)]);
            b.push_back(from[std::size_t(i < 0 ? i + size : i)]);
        }
        return folded(ints_of(std::move(out), index->dims), std::move(b));
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
        const OnnxTensor* data = integers(n, 0, constants);
        if (!data || !vector_or_scalar(*data) || data->ints.size() != 1) return std::nullopt;
        std::vector<std::int64_t> axes = opset >= 13 ? std::vector<std::int64_t>{} : attribute_ints(n, "axes");
        if (opset >= 13) {
            const OnnxTensor* a = integers(n, 1, constants);
            if (a) axes = a->ints;
        }
        const bool unsqueezed = op == "Unsqueeze" && data->dims.empty() && axes.size() == 1 && (axes[0] == 0 || axes[0] == -1);
        const bool squeezed = op == "Squeeze" && data->dims.size() == 1 && (axes.empty() || (axes.size() == 1 && (axes[0] == 0 || axes[0] == -1)));
        if (!unsqueezed && !squeezed) return std::nullopt;
        return folded(ints_of(data->ints, unsqueezed ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{}), marks(0, *data));
    }
    if (op == "Concat") {
        if (attribute(n, "axis").value_or(0) != 0 && attribute(n, "axis").value_or(0) != -1) return std::nullopt;
        std::vector<std::int64_t> out;
        std::vector<char> b;
        for (int i = 0; i < n.input_size(); ++i) {
            const OnnxTensor* part = integers(n, i, constants);
            if (!part || part->dims.size() != 1) return std::nullopt;
            const std::vector<char> m = marks(i, *part);
            out.insert(out.end(), part->ints.begin(), part->ints.end());
            b.insert(b.end(), m.begin(), m.end());
        }
        const std::int64_t count = std::int64_t(out.size());
        return folded(ints_of(std::move(out), {count}), std::move(b));
    }
    if (op == "Cast") {
        const OnnxTensor* data = integers(n, 0, constants);
        const auto to = attribute(n, "to");
        using T = ::onnx::TensorProto;
        if (!data || !to || !(*to == T::INT64 || *to == T::INT32)) return std::nullopt;
        return folded(*data, marks(0, *data));
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
        const OnnxTensor *a = integers(n, 0, constants), *b = integers(n, 1, constants);
        if (!a || !b || !vector_or_scalar(*a) || !vector_or_scalar(*b)) return std::nullopt;
        if (batch.count(n.input(0)) || batch.count(n.input(1)))
            throw Error(where + ": computes with the batch extent (dimension 0 of a Shape); kiln's nets take any batch, so kiln cannot "
                                "make it a constant");
        const std::size_t count = std::max(a->ints.size(), b->ints.size());
        if ((a->ints.size() != count && a->ints.size() != 1) || (b->ints.size() != count && b->ints.size() != 1)) return std::nullopt;
        std::vector<std::int64_t> out(count);
        for (std::size_t i = 0; i < count; ++i)
            out[i] = arithmetic(op, a->ints[a->ints.size() == 1 ? 0 : i], b->ints[b->ints.size() == 1 ? 0 : i], where);
        return folded(ints_of(std::move(out), a->dims.size() >= b->dims.size() ? a->dims : b->dims), {});
    }
    if (op == "Slice" && opset >= 10) {
        const OnnxTensor *data = integers(n, 0, constants), *starts = integers(n, 1, constants), *ends = integers(n, 2, constants);
        const OnnxTensor *axes = integers(n, 3, constants), *steps = integers(n, 4, constants);
        if (!data || !starts || !ends || data->dims.size() != 1 || starts->ints.size() != 1 || ends->ints.size() != 1) return std::nullopt;
        if ((axes && (axes->ints.size() != 1 || (axes->ints[0] != 0 && axes->ints[0] != -1))) || (steps && steps->ints != std::vector<std::int64_t>{1}))
            return std::nullopt;
        for (int i = 1; i < n.input_size(); ++i)
            if (batch.count(n.input(i))) throw Error(where + ": slices at bounds computed from the batch extent");
        const std::int64_t size = std::int64_t(data->ints.size());
        const auto clamp_bound = [&](std::int64_t v) { return std::clamp(v < 0 ? v + size : v, std::int64_t(0), size); };
        const std::int64_t begin = clamp_bound(starts->ints[0]), end = std::max(begin, clamp_bound(ends->ints[0]));
        const std::vector<char> m = marks(0, *data);
        return folded(ints_of({data->ints.begin() + begin, data->ints.begin() + end}, {end - begin}), {m.begin() + begin, m.begin() + end});
    }
    return std::nullopt;
}

bool is_shape_arithmetic(const NodeProto& n) {
    static const char* const ops[] = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Add", "Sub", "Mul", "Div", "Slice"};
    return (n.domain().empty() || n.domain() == "ai.onnx") && n.output_size() == 1 &&
           std::any_of(std::begin(ops), std::end(ops), [&](const char* op) { return n.op_type() == op; });
}

}  // namespace kiln::onnx::detail
