// safetensors reading and writing (see safetensors.hpp). JSON via nlohmann/json (Debian's
// nlohmann-json3-dev): a full, well-tested lexer and parser for an untrusted header, used through
// its SAX interface so that no JSON tree is built from it.
#include "kiln/runtime/safetensors.hpp"

#include "kiln/runtime/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace kiln {

namespace {

using json = nlohmann::json;
constexpr std::uint64_t max_header_bytes = 100ull << 20;

struct Entry {  // one tensor of the header; its name is the key it is kept under
    std::string dtype;
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

// A string from the file as messages show it: cut short when a hostile file makes it huge (at a
// UTF-8 character boundary; the JSON lexer has checked the encoding).
std::string cut_short(const std::string& text, const char* quote = "") {
    constexpr std::size_t shown = 120;
    if (text.size() <= shown) return quote + text + quote;
    std::size_t cut = shown;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    return quote + text.substr(0, cut) + "..." + quote + " (" + std::to_string(text.size()) + " bytes)";
}

std::string shown_name(const std::string& name) { return cut_short(name, "'"); }

std::string clipped(const std::string& text) {
    constexpr std::size_t shown = 300;  // nlohmann quotes the whole last token, however long
    return text.size() <= shown ? text : text.substr(0, shown) + "...";
}

// The 8-byte little-endian header length, checked against the limit and the total size.
std::uint64_t header_length(const std::string& where, const unsigned char* first8, std::uint64_t total) {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | first8[i];
    if (n > max_header_bytes) throw Error(where + "header length " + std::to_string(n) + " exceeds the 100 MiB limit");
    if (n > total - 8)
        throw Error(where + "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(total) +
                    " bytes)");
    return n;
}

constexpr std::size_t max_dims = 64;
constexpr std::size_t max_metadata_entries = 65536;  // real files have a handful; each costs a kept key

// nlohmann's SAX handler for a header: it keeps only the entries, and refuses at the first event
// that cannot belong to {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}.
// No value nests deeper than 3, so nesting is refused at its 4th level at the latest, and no array
// grows past 64 elements, where a DOM parse would first build whatever tree the file holds.
class HeaderReader {
  public:
    using json_exception = nlohmann::detail::exception;

    HeaderReader(std::string where, std::uint64_t data_size) : where_(std::move(where)), data_size_(data_size) {}

    std::map<std::string, Entry> entries;
    std::string error;  // why the header was refused; empty while it is fine

    bool null() { return value(Kind::other, "null"); }
    bool boolean(bool) { return value(Kind::other, "a boolean"); }
    bool number_integer(json::number_integer_t) { return value(Kind::other, "a negative integer"); }  // others: number_unsigned
    bool number_unsigned(json::number_unsigned_t v) { return unsigned_number(v); }
    bool number_float(json::number_float_t, const std::string&) { return value(Kind::other, "a non-integer number"); }
    bool string(std::string& s) { return value(Kind::string, "a string", &s); }
    bool binary(json::binary_t&) { return value(Kind::other, "binary data"); }  // never in JSON text
    bool start_object(std::size_t) { return value(Kind::object, "an object"); }
    bool start_array(std::size_t) { return value(Kind::array, "an array"); }
    bool end_object();
    bool end_array();
    bool key(std::string& k);
    bool parse_error(std::size_t, const std::string&, const json_exception& e) {
        return fail(where_ + "the header is not valid JSON: " + clipped(e.what()));
    }

  private:
    enum class State { start, top, tensor, shape, offsets, metadata, done };
    enum class Kind { other, string, object, array };
    enum Field : unsigned { dtype = 1, shape = 2, offsets = 4 };

    bool fail(std::string why) {
        if (error.empty()) error = std::move(why);
        return false;
    }
    std::string tensor_where() const { return where_ + "tensor " + shown_name(key_) + ": "; }
    bool unsigned_number(std::uint64_t v);
    // One value (or the start of an object or array) where the state expects one; `text` for a string.
    bool value(Kind kind, const char* what, std::string* text = nullptr);
    bool finish_tensor();

    std::string where_;
    std::uint64_t data_size_;
    State state_ = State::start;
    std::string key_;             // the top-level key being read
    std::string metadata_key_;    // the __metadata__ key being read
    bool have_metadata_ = false;
    std::set<std::string> metadata_keys_;
    Field field_ = dtype;         // the tensor field whose value comes next
    unsigned fields_seen_ = 0;
    Entry entry_;
    std::uint64_t elements_ = 1;
    std::size_t offsets_read_ = 0;
};

bool HeaderReader::key(std::string& k) {
    switch (state_) {
        case State::top:
            if (k == "__metadata__" ? have_metadata_ : entries.count(k) != 0)
                return fail(where_ + shown_name(k) + " appears twice in the header");
            key_ = std::move(k);
            return true;
        case State::tensor: {
            const Field f = k == "dtype" ? dtype : k == "shape" ? shape : k == "data_offsets" ? offsets : Field(0);
            if (!f) return fail(tensor_where() + "unknown field " + shown_name(k) + " (a tensor has dtype, shape and data_offsets)");
            if (fields_seen_ & f) return fail(tensor_where() + "field " + k + " appears twice");
            fields_seen_ |= f;
            field_ = f;
            return true;
        }
        case State::metadata:
            if (!metadata_keys_.insert(k).second) return fail(where_ + "__metadata__ key " + shown_name(k) + " appears twice");
            if (metadata_keys_.size() > max_metadata_entries)
                return fail(where_ + "__metadata__ holds more than " + std::to_string(max_metadata_entries) + " entries");
            metadata_key_ = std::move(k);
            return true;
        default:
            return fail(where_ + "the header is not valid JSON");  // nlohmann sends keys only inside objects
    }
}

bool HeaderReader::value(Kind kind, const char* what, std::string* text) {
    switch (state_) {
        case State::start:
            if (kind != Kind::object) return fail(where_ + "the header is not a JSON object");
            state_ = State::top;
            return true;
        case State::top:
            if (key_ == "__metadata__") {
                if (kind != Kind::object) return fail(where_ + "__metadata__ must be an object mapping strings to strings, not " + what);
                have_metadata_ = true;
                state_ = State::metadata;
                return true;
            }
            if (kind != Kind::object) return fail(tensor_where() + "must be an object with dtype, shape and data_offsets, not " + what);
            state_ = State::tensor;
            fields_seen_ = 0;
            entry_ = Entry{};
            elements_ = 1;
            return true;
        case State::tensor:
            if (field_ == dtype) {
                if (kind != Kind::string) return fail(tensor_where() + "dtype is not a string");
                if (!dtype_size(*text))
                    return fail(tensor_where() + "dtype " + cut_short(*text) + " is not one kiln reads (F32, F64, F16, BF16)");
                entry_.dtype = *text;
                return true;
            }
            if (kind != Kind::array)
                return fail(tensor_where() + (field_ == shape ? "shape is not an array" : "data_offsets must be two non-negative integers"));
            state_ = field_ == shape ? State::shape : State::offsets;
            offsets_read_ = 0;
            return true;
        case State::shape:
            return fail(tensor_where() + "shape holds a value that is not a non-negative integer (" + what + ")");
        case State::offsets:
            return fail(tensor_where() + "data_offsets must be two non-negative integers");
        case State::metadata:
            if (kind != Kind::string)
                return fail(where_ + "__metadata__ must map strings to strings; " + shown_name(metadata_key_) + " maps to " + what);
            return true;
        case State::done:
            break;
    }
    return fail(where_ + "the header is not valid JSON");  // nlohmann ends the parse after the top-level value
}

bool HeaderReader::unsigned_number(std::uint64_t v) {
    if (state_ == State::shape) {
        if (entry_.shape.size() == max_dims) return fail(tensor_where() + "shape has more than " + std::to_string(max_dims) + " dimensions");
        if (v && elements_ > std::numeric_limits<std::uint64_t>::max() / v / 8) return fail(tensor_where() + "shape is absurdly large");
        elements_ *= v;
        entry_.shape.push_back(v);
        return true;
    }
    if (state_ == State::offsets) {
        if (offsets_read_ == 2) return fail(tensor_where() + "data_offsets must be two non-negative integers");
        (offsets_read_++ == 0 ? entry_.begin : entry_.end) = v;
        return true;
    }
    return value(Kind::other, "a number");
}

bool HeaderReader::end_array() {
    if (state_ == State::offsets && offsets_read_ != 2) return fail(tensor_where() + "data_offsets must be two non-negative integers");
    state_ = State::tensor;  // nlohmann pairs brackets; arrays are opened only for shape and data_offsets
    return true;
}

bool HeaderReader::end_object() {
    switch (state_) {
        case State::top:
            state_ = State::done;
            return true;
        case State::metadata:
            state_ = State::top;
            return true;
        case State::tensor:
            state_ = State::top;
            return finish_tensor();
        default:
            return fail(where_ + "the header is not valid JSON");
    }
}

bool HeaderReader::finish_tensor() {
    const std::string t = tensor_where();
    if (fields_seen_ != (dtype | shape | offsets)) {
        std::string missing;
        for (const auto& [f, name] : {std::pair{dtype, "dtype"}, {shape, "shape"}, {offsets, "data_offsets"}})
            if (!(fields_seen_ & f)) missing += (missing.empty() ? "" : ", ") + std::string(name);
        return fail(t + "needs dtype, shape and data_offsets (missing " + missing + ")");
    }
    const Entry& e = entry_;
    if (e.begin > e.end || e.end > data_size_)
        return fail(t + "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") lie outside the " +
                    std::to_string(data_size_) + " data bytes");
    const std::uint64_t bytes = elements_ * dtype_size(e.dtype);
    if (e.end - e.begin != bytes)
        return fail(t + "shape " + shape_string(e.shape) + " of " + e.dtype + " needs " + std::to_string(bytes) +
                    " bytes, data_offsets give " + std::to_string(e.end - e.begin));
    entries.emplace(std::move(key_), std::move(entry_));
    return true;
}

// The header, validated as a container (nothing net-specific yet). `file` holds at least 8 bytes.
std::map<std::string, Entry> parse_header(const std::string& where, const unsigned char* file, std::uint64_t size,
                                          std::uint64_t& data_start) {
    const std::uint64_t n = header_length(where, file, size);
    data_start = 8 + n;
    const std::uint64_t data_size = size - data_start;
    HeaderReader reader(where, data_size);
    if (!json::sax_parse(file + 8, file + data_start, &reader) || !reader.error.empty())
        throw Error(reader.error.empty() ? where + "the header is not valid JSON" : reader.error);
    // Sorted by range, a zero-byte tensor before the one starting where it lies, as the reference
    // implementation accepts.
    std::vector<std::pair<const std::string*, const Entry*>> sorted;
    for (const auto& [name, e] : reader.entries) sorted.emplace_back(&name, &e);
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return std::pair(a.second->begin, a.second->end) < std::pair(b.second->begin, b.second->end);
    });
    std::uint64_t next = 0;
    for (const auto& [name, e] : sorted) {
        if (e->begin < next) throw Error(where + "tensor " + shown_name(*name) + " overlaps the tensor before it in the data");
        if (e->begin > next) throw Error(where + "the data has a hole before tensor " + shown_name(*name));
        next = e->end;
    }
    if (next != data_size) throw Error(where + std::to_string(data_size - next) + " data bytes after the last tensor belong to none");
    return std::move(reader.entries);
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

// Runs `read`, letting only kiln::Error out: memory exhaustion says so, and anything else would be
// a bug in this file (the fuzz harness aborts on "internal error").
template <class Read>
auto only_kiln_errors(const std::string& where, Read read) -> decltype(read()) {
    try {
        return read();
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw Error(where + "not enough memory to read it");
    } catch (const std::exception& e) {
        throw Error(where + "internal error in kiln's safetensors reader: " + e.what());
    } catch (...) {
        throw Error(where + "internal error in kiln's safetensors reader: an exception that is not a std::exception");
    }
}

Weights read_weights(const NetSpec& net, const unsigned char* file, std::size_t size, const SafetensorsOptions& options,
                     const std::string& source) {
    const std::string where = source + ": ";
    if (size < 8) throw Error(where + "truncated: " + std::to_string(size) + " bytes, not even the header length");
    std::uint64_t data_start = 0;
    const std::map<std::string, Entry> entries = parse_header(where, file, size, data_start);

    Weights w = Weights::for_net(net);
    std::set<std::string> used;
    for (const ParamSpec& p : w.specs()) {
        const auto mapped = options.names.find(p.name);
        const std::string file_name = mapped == options.names.end() ? p.name : mapped->second;
        const std::string what = "tensor " + shown_name(file_name) + " (layer " + layer_of(p.name) + ", " + p.role + ")";
        const auto found = entries.find(file_name);
        if (found == entries.end()) throw Error(where + what + " is missing");
        const Entry& e = found->second;
        const Placement pl = placement(p, net, options.layout);
        if (e.shape != pl.file_shape)
            throw Error(where + what + " has shape " + shape_string(e.shape) + ", the layer needs " + shape_string(pl.file_shape) +
                        (options.layout == WeightLayout::pytorch ? " (PyTorch layout)" : " (kiln layout)"));
        std::vector<float>& values = w[p.name];
        const std::size_t element_size = dtype_size(e.dtype);
        const unsigned char* data = file + data_start + e.begin;
        for (std::size_t k = 0; k < values.size(); ++k) {
            const std::size_t dst = pl.kiln_index_of_file_element.empty() ? k : pl.kiln_index_of_file_element[k];
            values[dst] = read_value(data + k * element_size, e.dtype);
        }
        used.insert(file_name);
    }
    std::string extra;
    std::size_t extras = 0;
    for (const auto& [name, e] : entries)
        if (!used.count(name) && ++extras <= 20) extra += (extra.empty() ? "" : ", ") + name;
    if (extras > 20) extra += " and " + std::to_string(extras - 20) + " more";
    if (extras) throw Error(source + " holds tensors the net does not declare: " + extra);
    return w;
}

// Reads all of `fd` up to `size` bytes; fewer only at the end of the file.
std::size_t read_up_to(int fd, unsigned char* into, std::size_t size, const std::string& where) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t got = ::read(fd, into + done, size - done);
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            throw Error(where + "reading failed: " + std::strerror(errno));
        }
        done += std::size_t(got);
    }
    return done;
}

// The whole file, refused before anything big is allocated unless it is a regular file whose
// header length fits it.
std::vector<unsigned char> read_file(const std::string& path, const std::string& where) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw Error("cannot open safetensors file " + path + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw Error(where + "cannot stat it: " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw Error(where + "is a directory, not a file");
    if (!S_ISREG(st.st_mode)) throw Error(where + "is not a regular file (a FIFO, device or socket); weights are read only from regular files");
    const std::uint64_t size = std::uint64_t(st.st_size);
    unsigned char first8[8];
    const std::size_t got = read_up_to(fd, first8, std::size_t(std::min<std::uint64_t>(size, 8)), where);
    if (got < 8) return std::vector<unsigned char>(first8, first8 + got);  // read_weights says "truncated"
    header_length(where, first8, size);
    std::vector<unsigned char> file;
    try {
        file.resize(std::size_t(size));
    } catch (const std::exception&) {
        throw Error(where + "cannot hold its " + std::to_string(size) + " bytes in memory");
    }
    std::memcpy(file.data(), first8, 8);
    const std::size_t rest = read_up_to(fd, file.data() + 8, file.size() - 8, where);
    if (rest != file.size() - 8)
        throw Error(where + "the file shrank while being read (" + std::to_string(8 + rest) + " of " + std::to_string(size) + " bytes)");
    return file;
}

}  // namespace

Weights load_safetensors_from_memory(const NetSpec& net, const unsigned char* data, std::size_t size, const SafetensorsOptions& options,
                                     const std::string& name) {
    const std::string source = "safetensors " + name;
    return only_kiln_errors(source + ": ", [&] { return read_weights(net, data, size, options, source); });
}

Weights load_safetensors(const NetSpec& net, const std::string& path, const SafetensorsOptions& options) {
    const std::string where = "safetensors file " + path + ": ";
    const std::vector<unsigned char> file = only_kiln_errors(where, [&] { return read_file(path, where); });
    return load_safetensors_from_memory(net, file.data(), file.size(), options, "file " + path);
}

void save_safetensors(const Weights& weights, const std::string& path, const std::map<std::string, std::string>& metadata) {
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
    for (const auto& [key, value] : metadata) header["__metadata__"][key] = value;
    std::string text = header.dump();
    while ((8 + text.size()) % 8) text += ' ';  // the format pads the header so the data is aligned
    // Written beside the target and renamed over it (atomic_file.hpp): a save that fails or is
    // killed leaves the file that was there, which for a checkpoint is the one a crash needs.
    AtomicFile out(path);
    std::uint64_t n = text.size();
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(n >> (8 * i));
    out.write(length, 8);
    out.write(text);
    for (const ParamSpec& p : weights.specs()) {
        const auto& v = weights[p.name];
        out.write(v.data(), v.size() * 4);  // x86-64: little-endian
    }
    out.commit();
}

}  // namespace kiln
