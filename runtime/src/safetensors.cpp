// safetensors reading and writing (see safetensors.hpp). JSON via nlohmann/json (Debian's
// nlohmann-json3-dev): a full, well-tested parser for an untrusted header.
#include "kiln/runtime/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <cmath>
#include <functional>
#include <set>

namespace kiln {

namespace {

using json = nlohmann::json;
constexpr std::uint64_t max_header_bytes = 100ull << 20;

struct Entry {
    std::string name, dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0, end = 0;
};

std::size_t dtype_size(const std::string& d) {
    if (d == "F32") return 4;
    if (d == "F64") return 8;
    if (d == "F16" || d == "BF16") return 2;
    return 0;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float f;
    if (exp == 0) f = std::ldexp(float(mant), -24);                           // zero, subnormal
    else if (exp == 31) f = mant ? std::numeric_limits<float>::quiet_NaN() : INFINITY;
    else f = std::ldexp(float(mant | 0x400), int(exp) - 25);
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
}

float read_value(const unsigned char* p, const std::string& dtype) {
    if (dtype == "F32") {
        float f;
        std::memcpy(&f, p, 4);
        return f;
    }
    if (dtype == "F64") {
        double d;
        std::memcpy(&d, p, 8);
        return float(d);
    }
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    if (dtype == "F16") return half_to_float(h);
    const std::uint32_t bits = std::uint32_t(h) << 16;  // BF16: the top half of an F32
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

std::string layer_of(const std::string& param) { return param.substr(0, param.find('.')); }

std::string shape_string(const std::vector<std::uint64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// The header, validated as a container (nothing net-specific yet).
std::vector<Entry> parse_header(const std::string& path, const std::vector<unsigned char>& file, std::uint64_t& data_start) {
    const std::string where = "safetensors file " + path + ": ";
    if (file.size() < 8) throw Error(where + "truncated: " + std::to_string(file.size()) + " bytes, not even the header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | file[std::size_t(i)];
    if (n > max_header_bytes) throw Error(where + "header length " + std::to_string(n) + " exceeds the 100 MiB limit");
    if (n > file.size() - 8)
        throw Error(where + "header length " + std::to_string(n) + " runs past the end of the file (" +
                    std::to_string(file.size()) + " bytes)");
    data_start = 8 + n;
    const std::uint64_t data_size = file.size() - data_start;
    json header;
    try {
        header = json::parse(file.begin() + 8, file.begin() + std::ptrdiff_t(data_start));
    } catch (const json::exception& e) {
        throw Error(where + "the header is not valid JSON: " + e.what());
    }
    if (!header.is_object()) throw Error(where + "the header is not a JSON object");
    std::vector<Entry> entries;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") continue;
        const std::string t = where + "tensor '" + it.key() + "': ";
        const json& v = it.value();
        if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
            throw Error(t + "needs dtype, shape and data_offsets");
        Entry e;
        e.name = it.key();
        if (!v["dtype"].is_string()) throw Error(t + "dtype is not a string");
        e.dtype = v["dtype"].get<std::string>();
        if (!dtype_size(e.dtype)) throw Error(t + "dtype " + e.dtype + " is not one kiln reads (F32, F64, F16, BF16)");
        if (!v["shape"].is_array()) throw Error(t + "shape is not an array");
        std::uint64_t count = 1;
        for (const auto& d : v["shape"]) {
            if (!d.is_number_unsigned()) throw Error(t + "shape holds a value that is not a non-negative integer");
            const std::uint64_t extent = d.get<std::uint64_t>();
            if (extent && count > std::numeric_limits<std::uint64_t>::max() / extent / 8) throw Error(t + "shape is absurdly large");
            count *= extent;
            e.shape.push_back(extent);
        }
        const json& o = v["data_offsets"];
        if (!o.is_array() || o.size() != 2 || !o[0].is_number_unsigned() || !o[1].is_number_unsigned())
            throw Error(t + "data_offsets must be two non-negative integers");
        e.begin = o[0].get<std::uint64_t>();
        e.end = o[1].get<std::uint64_t>();
        if (e.begin > e.end || e.end > data_size)
            throw Error(t + "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") lie outside the " +
                        std::to_string(data_size) + " data bytes");
        if (e.end - e.begin != count * dtype_size(e.dtype))
            throw Error(t + "shape " + shape_string(e.shape) + " of " + e.dtype + " needs " + std::to_string(count * dtype_size(e.dtype)) +
                        " bytes, data_offsets give " + std::to_string(e.end - e.begin));
        entries.push_back(std::move(e));
    }
    std::vector<const Entry*> sorted;
    for (const auto& e : entries) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
    std::uint64_t next = 0;
    for (const Entry* e : sorted) {
        if (e->begin < next) throw Error(where + "tensor '" + e->name + "' overlaps the tensor before it in the data");
        if (e->begin > next) throw Error(where + "the data has a hole before tensor '" + e->name + "'");
        next = e->end;
    }
    if (next != data_size) throw Error(where + std::to_string(data_size - next) + " data bytes after the last tensor belong to none");
    return entries;
}

// Row-major shape a kiln tensor has in the file for a layout, and the element index map.
struct Placement {
    std::vector<std::uint64_t> file_shape;
    std::vector<std::size_t> kiln_index_of_file_element;  // empty: identity
};

Placement placement(const ParamSpec& p, const NetSpec& net, WeightLayout layout) {
    Placement pl;
    for (auto it = p.dims.rbegin(); it != p.dims.rend(); ++it) pl.file_shape.push_back(std::uint64_t(*it));
    if (layout == WeightLayout::kiln || p.dims.size() == 1) return pl;
    if (p.dims.size() == 4) {  // conv: kiln dims (o, i, kx, ky); PyTorch [o][i][kh][kw]
        const std::size_t O = p.dims[0], I = p.dims[1], KW = p.dims[2], KH = p.dims[3];
        pl.file_shape = {O, I, KH, KW};
        for (std::size_t o = 0; o < O; ++o)
            for (std::size_t i = 0; i < I; ++i)
                for (std::size_t ky = 0; ky < KH; ++ky)
                    for (std::size_t kx = 0; kx < KW; ++kx) pl.kiln_index_of_file_element.push_back(((ky * KW + kx) * I + i) * O + o);
        return pl;
    }
    // dense: kiln dims (units, flat (y, x, c)); PyTorch [units][flat (c, y, x)]
    const Shape in = [&] {
        std::function<const LayerSpec*(const std::vector<LayerSpec>&)> find = [&](const std::vector<LayerSpec>& ls) -> const LayerSpec* {
            for (const auto& l : ls) {
                if (l.name == layer_of(p.name)) return &l;
                for (const auto& b : l.children)
                    if (const LayerSpec* f = find(b)) return f;
            }
            return nullptr;
        };
        const LayerSpec* l = find(net.layers);
        if (!l) throw Error("learned tensor " + p.name + " belongs to no layer of the net");
        return l->in;
    }();
    const std::size_t U = p.dims[0], H = in.h, W = in.w, C = in.c;
    pl.file_shape = {U, C * H * W};
    for (std::size_t u = 0; u < U; ++u)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t y = 0; y < H; ++y)
                for (std::size_t x = 0; x < W; ++x) pl.kiln_index_of_file_element.push_back(((y * W + x) * C + c) * U + u);
    return pl;
}

}  // namespace

Weights load_safetensors(const NetSpec& net, const std::string& path, const SafetensorsOptions& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open safetensors file " + path);
    const std::vector<unsigned char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::uint64_t data_start = 0;
    const std::vector<Entry> entries = parse_header(path, file, data_start);
    std::map<std::string, const Entry*> by_name;
    for (const auto& e : entries) by_name[e.name] = &e;

    Weights w = Weights::for_net(net);
    std::set<std::string> used;
    for (const ParamSpec& p : w.specs()) {
        const auto mapped = options.names.find(p.name);
        const std::string file_name = mapped == options.names.end() ? p.name : mapped->second;
        const std::string what = "tensor '" + file_name + "' (layer " + layer_of(p.name) + ", " + p.role + ")";
        const auto found = by_name.find(file_name);
        if (found == by_name.end()) throw Error("safetensors file " + path + ": " + what + " is missing");
        const Entry& e = *found->second;
        const Placement pl = placement(p, net, options.layout);
        if (e.shape != pl.file_shape)
            throw Error("safetensors file " + path + ": " + what + " has shape " + shape_string(e.shape) + ", the layer needs " +
                        shape_string(pl.file_shape) + (options.layout == WeightLayout::pytorch ? " (PyTorch layout)" : " (kiln layout)"));
        std::vector<float>& values = w[p.name];
        const std::size_t size = dtype_size(e.dtype);
        const unsigned char* data = file.data() + data_start + e.begin;
        for (std::size_t k = 0; k < values.size(); ++k) {
            const std::size_t dst = pl.kiln_index_of_file_element.empty() ? k : pl.kiln_index_of_file_element[k];
            values[dst] = read_value(data + k * size, e.dtype);
        }
        used.insert(file_name);
    }
    std::string extra;
    for (const auto& e : entries)
        if (!used.count(e.name)) extra += (extra.empty() ? "" : ", ") + e.name;
    if (!extra.empty()) throw Error("safetensors file " + path + " holds tensors the net does not declare: " + extra);
    return w;
}

void save_safetensors(const Weights& weights, const std::string& path) {
    json header = json::object();
    std::uint64_t offset = 0;
    for (const ParamSpec& p : weights.specs()) {
        std::vector<std::uint64_t> shape;
        for (auto it = p.dims.rbegin(); it != p.dims.rend(); ++it) shape.push_back(std::uint64_t(*it));
        const std::uint64_t bytes = weights[p.name].size() * 4;
        header[p.name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    header["__metadata__"] = {{"format", "kiln"}, {"layout", "kiln (HWIO conv, [in][out] dense)"}};
    std::string text = header.dump();
    while ((8 + text.size()) % 8) text += ' ';  // the format pads the header so the data is aligned
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write safetensors file " + path);
    std::uint64_t n = text.size();
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(n >> (8 * i));
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const ParamSpec& p : weights.specs()) {
        const auto& v = weights[p.name];
        out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));  // x86-64: little-endian
    }
    if (!out) throw Error("could not write all of safetensors file " + path);
}

}  // namespace kiln
