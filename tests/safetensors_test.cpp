// safetensors: round trip, PyTorch layout conversion (checked with the test's own index
// formulas), and hostile files, each of which must give an error naming the problem.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "kiln/runtime/safetensors.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

using Small = Net<Input<4, 3, 2>, Conv<5, Kernel<3, 2>, Same>, Relu, Dense<6>>;

std::string temp_path(const std::string& stem) { return "/tmp/kiln_test_" + stem + "_" + std::to_string(test::seed()) + ".safetensors"; }

// A file's bytes from a header text and raw data bytes, length prefix included unless `length`
// overrides it.
std::string file_bytes(const std::string& header, const std::string& data, long long length = -1) {
    std::string bytes(8, '\0');
    const unsigned long long n = length >= 0 ? (unsigned long long)length : header.size();
    for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char((n >> (8 * i)) & 0xff);
    return bytes + header + data;
}

std::string write_file(const std::string& stem, const std::string& header, const std::string& data,
                       long long length = -1, std::size_t truncate_to = std::string::npos) {
    std::string bytes = file_bytes(header, data, length);
    if (truncate_to != std::string::npos) bytes.resize(truncate_to);
    const std::string path = temp_path(stem);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

Weights load_bytes(const std::string& bytes, const SafetensorsOptions& options = {}) {
    return load_safetensors_from_memory(describe<Small>(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), options,
                                        "test bytes");
}

std::string floats(std::size_t count) { return std::string(count * 4, '\0'); }

// A valid header for Small in kiln's layout, with one entry's text replaceable.
std::string small_header(const std::string& weights_entry = "") {
    // conv weights [3][2][2][5] = 60, conv bias [5], dense weights [4*3*5][6] = 360, dense bias [6]
    const std::string conv_w = weights_entry.empty() ? R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5],"data_offsets":[0,240]})" : weights_entry;
    return "{" + conv_w + R"(,"l1_conv.bias":{"dtype":"F32","shape":[5],"data_offsets":[240,260]},)" +
           R"("l3_dense.weights":{"dtype":"F32","shape":[60,6],"data_offsets":[260,1700]},)" +
           R"("l3_dense.bias":{"dtype":"F32","shape":[6],"data_offsets":[1700,1724]}})";
}

void check_refused(const std::string& path, const std::string& expected) {
    INFO("file " << path);
    CHECK_THROWS_WITH_AS(load_safetensors(describe<Small>(), path), doctest::Contains(expected.c_str()), kiln::Error);
    std::remove(path.c_str());
}

// The same from memory: a header (with data for Small after it) refused with `expected`.
void check_header_refused(const std::string& header, const std::string& expected) {
    INFO("header " << header.substr(0, 200));
    CHECK_THROWS_WITH_AS(load_bytes(file_bytes(header, floats(431))), doctest::Contains(expected.c_str()), kiln::Error);
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // Linux: KiB
}

}  // namespace

TEST_CASE("safetensors: kiln's layout round-trips exactly") {
    auto rng = test::rng_for("safetensors roundtrip");
    Weights w = Weights::for_net(describe<Small>());
    w.fill_random(rng());
    const std::string path = temp_path("roundtrip");
    save_safetensors(w, path);
    const Weights back = load_safetensors(describe<Small>(), path);
    for (const auto& p : w.specs()) CHECK(back[p.name] == w[p.name]);
    std::remove(path.c_str());
}

TEST_CASE("safetensors: PyTorch layout (OIHW conv, Linear over NCHW-flattened input) converts to kiln's") {
    auto rng = test::rng_for("safetensors pytorch");
    std::uniform_real_distribution<float> u(-1, 1);
    // PyTorch tensors, row-major: conv [5][2][3][2] (o, i, kh, kw), Linear [6][2*... ] over (c=5, y=4, x=3).
    std::vector<float> conv(5 * 2 * 3 * 2), bias(5), linear(6 * 60), lbias(6);
    for (auto* v : {&conv, &bias, &linear, &lbias})
        for (float& x : *v) x = u(rng);
    std::string data;
    for (auto* v : {&conv, &bias, &linear, &lbias}) data.append(reinterpret_cast<const char*>(v->data()), v->size() * 4);
    const std::string header =
        R"({"features.0.weight":{"dtype":"F32","shape":[5,2,3,2],"data_offsets":[0,240]},)"
        R"("features.0.bias":{"dtype":"F32","shape":[5],"data_offsets":[240,260]},)"
        R"("classifier.weight":{"dtype":"F32","shape":[6,60],"data_offsets":[260,1700]},)"
        R"("classifier.bias":{"dtype":"F32","shape":[6],"data_offsets":[1700,1724]}})";
    const std::string path = write_file("pytorch", header, data);
    SafetensorsOptions o;
    o.layout = WeightLayout::pytorch;
    o.names = {{"l1_conv.weights", "features.0.weight"}, {"l1_conv.bias", "features.0.bias"},
               {"l3_dense.weights", "classifier.weight"}, {"l3_dense.bias", "classifier.bias"}};
    const Weights w = load_safetensors(describe<Small>(), path, o);
    std::remove(path.c_str());
    // kiln conv: [ky][kx][i][o]; dense: [(y*W + x)*C + c][unit] with H=4, W=3, C=5.
    for (int o_ = 0; o_ < 5; ++o_)
        for (int i = 0; i < 2; ++i)
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 2; ++kx)
                    REQUIRE(w["l1_conv.weights"][std::size_t(((ky * 2 + kx) * 2 + i) * 5 + o_)] ==
                            conv[std::size_t(((o_ * 2 + i) * 3 + ky) * 2 + kx)]);
    for (int unit = 0; unit < 6; ++unit)
        for (int c = 0; c < 5; ++c)
            for (int y = 0; y < 4; ++y)
                for (int x = 0; x < 3; ++x)
                    REQUIRE(w["l3_dense.weights"][std::size_t(((y * 3 + x) * 5 + c) * 6 + unit)] ==
                            linear[std::size_t(unit * 60 + (c * 4 + y) * 3 + x)]);
    CHECK(w["l3_dense.bias"] == lbias);
}

TEST_CASE("safetensors: F16 and BF16 values convert to float") {
    // 1.5 in F16 is 0x3e00; -2.0 in BF16 is 0xc000.
    std::string data = floats(65 + 360 + 6);  // the other tensors: zeros
    const std::string h16 = R"({"l1_conv.weights":{"dtype":"F16","shape":[3,2,2,5],"data_offsets":[0,120]},)"
                            R"("l1_conv.bias":{"dtype":"BF16","shape":[5],"data_offsets":[120,130]},)"
                            R"("l3_dense.weights":{"dtype":"F32","shape":[60,6],"data_offsets":[130,1570]},)"
                            R"("l3_dense.bias":{"dtype":"F32","shape":[6],"data_offsets":[1570,1594]}})";
    std::string d(1594, '\0');
    d[0] = char(0x00), d[1] = char(0x3e);
    d[120] = char(0x00), d[121] = char(0xc0);
    const std::string path = write_file("f16", h16, d);
    const Weights w = load_safetensors(describe<Small>(), path);
    std::remove(path.c_str());
    CHECK(w["l1_conv.weights"][0] == 1.5f);
    CHECK(w["l1_conv.bias"][0] == -2.0f);
}

TEST_CASE("safetensors: malformed and hostile files are refused with the reason") {
    const std::string data = floats(431);
    check_refused(write_file("short", "", "", -1, 5), "truncated");
    check_refused(write_file("pastend", small_header(), data, 1 << 20), "runs past the end");
    check_refused(write_file("huge", small_header(), data, (long long)(1) << 40), "exceeds the 100 MiB limit");
    check_refused(write_file("json", "{\"l1_conv.weights\": {\"dtype\": \"F32\",", data), "not valid JSON");
    check_refused(write_file("json2", small_header() + "}", data), "not valid JSON");
    check_refused(write_file("dtype", small_header(R"("l1_conv.weights":{"dtype":"I8","shape":[3,2,2,5],"data_offsets":[0,240]})"), data),
                  "dtype I8 is not one kiln reads");
    check_refused(write_file("range", small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5],"data_offsets":[0,99999]})"), data),
                  "lie outside");
    std::string overlapping = small_header();
    overlapping.replace(overlapping.find("[240,260]"), 9, "[236,256]");
    check_refused(write_file("overlap", overlapping, data), "tensor 'l1_conv.bias' overlaps");
    check_refused(write_file("bytes", small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,4],"data_offsets":[0,240]})"), data),
                  "needs 192 bytes");
    check_refused(write_file("negative", small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[-3,2,2,5],"data_offsets":[0,240]})"), data),
                  "not a non-negative integer");
    check_refused(write_file("shape", small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[2,3,2,5],"data_offsets":[0,240]})"), data),
                  "tensor 'l1_conv.weights' (layer l1_conv, weights) has shape [2, 3, 2, 5], the layer needs [3, 2, 2, 5]");
    check_refused(write_file("missing", small_header(R"("l1_conv.weightz":{"dtype":"F32","shape":[3,2,2,5],"data_offsets":[0,240]})"), data),
                  "tensor 'l1_conv.weights' (layer l1_conv, weights) is missing");
    const std::string extra = small_header().substr(0, small_header().size() - 1) +
                              R"(,"l9_conv.weights":{"dtype":"F32","shape":[1],"data_offsets":[1724,1728]}})";
    check_refused(write_file("extra", extra, floats(432)), "does not declare: l9_conv.weights");
    check_refused(write_file("hole", small_header(), floats(432)), "belong to none");
    CHECK_THROWS_WITH_AS(load_safetensors(describe<Small>(), "/nonexistent/w.safetensors"), doctest::Contains("cannot open"), kiln::Error);
}

TEST_CASE("safetensors: bytes in memory read as the same file does") {
    auto rng = test::rng_for("safetensors memory");
    Weights w = Weights::for_net(describe<Small>());
    w.fill_random(rng());
    const std::string path = temp_path("memory");
    save_safetensors(w, path);
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const Weights from_file = load_safetensors(describe<Small>(), path);
    std::remove(path.c_str());
    const Weights from_memory = load_bytes(bytes);
    for (const auto& p : w.specs()) CHECK(from_memory[p.name] == from_file[p.name]);
    // Errors name the bytes as the caller did.
    CHECK_THROWS_WITH_AS(load_bytes(bytes.substr(0, 5)), doctest::Contains("safetensors test bytes: truncated"), kiln::Error);
    CHECK_THROWS_WITH_AS(load_safetensors_from_memory(describe<Small>(), nullptr, 0), doctest::Contains("safetensors <memory>: truncated"),
                         kiln::Error);
}

TEST_CASE("safetensors: paths that are not regular files are refused before reading") {
    const std::string dir = temp_path("dir");
    std::filesystem::create_directory(dir);
    CHECK_THROWS_WITH_AS(load_safetensors(describe<Small>(), dir), doctest::Contains("is a directory"), kiln::Error);
    std::filesystem::remove(dir);
    // /dev/zero would be read forever (it was bad_alloc); a FIFO without a writer would block.
    CHECK_THROWS_WITH_AS(load_safetensors(describe<Small>(), "/dev/zero"), doctest::Contains("/dev/zero: is not a regular file"), kiln::Error);
    const std::string fifo = temp_path("fifo");
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(load_safetensors(describe<Small>(), fifo), doctest::Contains("is not a regular file"), kiln::Error);
    std::remove(fifo.c_str());
    if (geteuid() != 0) {  // root reads anything
        const std::string locked = write_file("locked", small_header(), floats(431));
        chmod(locked.c_str(), 0);
        CHECK_THROWS_WITH_AS(load_safetensors(describe<Small>(), locked), doctest::Contains("cannot open safetensors file"), kiln::Error);
        std::remove(locked.c_str());
    }
    // A header length checked against the file's size before the rest is read.
    check_refused(write_file("pastend_small", "{}", "", 1000), "header length 1000 runs past the end of the file (10 bytes)");
}

TEST_CASE("safetensors: a key twice, unknown fields and malformed __metadata__ are refused") {
    const std::string h = small_header();
    const std::string body = h.substr(1, h.size() - 2);  // the entries without the braces
    check_header_refused("{" + body + R"(,"l1_conv.bias":{"dtype":"F32","shape":[5],"data_offsets":[240,260]}})",
                         "'l1_conv.bias' appears twice in the header");
    check_header_refused(small_header(R"("l1_conv.weights":{"dtype":"F32","dtype":"F32","shape":[3,2,2,5],"data_offsets":[0,240]})"),
                         "tensor 'l1_conv.weights': field dtype appears twice");
    check_header_refused(small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5],"data_offsets":[0,240],"offsets":1})"),
                         "tensor 'l1_conv.weights': unknown field 'offsets'");
    check_header_refused(small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5]})"),
                         "tensor 'l1_conv.weights': needs dtype, shape and data_offsets (missing data_offsets)");
    check_header_refused(small_header(R"("l1_conv.weights":[0,240])"), "tensor 'l1_conv.weights': must be an object with dtype, shape and data_offsets, not an array");
    check_header_refused(small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5],"data_offsets":[0,240,240]})"),
                         "data_offsets must be two non-negative integers");
    check_header_refused(small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5],"data_offsets":[0]})"),
                         "data_offsets must be two non-negative integers");
    check_header_refused(small_header(R"("l1_conv.weights":{"dtype":"F32","shape":[3,2,2,5.0],"data_offsets":[0,240]})"),
                         "shape holds a value that is not a non-negative integer (a non-integer number)");
    const std::string with_metadata = "{" + body + R"(,"__metadata__":)";
    check_header_refused(with_metadata + R"({"format":"pt","format":"pt"}})", "__metadata__ key 'format' appears twice");
    check_header_refused(with_metadata + R"({"format":"pt"},"__metadata__":{}})", "'__metadata__' appears twice in the header");
    check_header_refused(with_metadata + R"("pt"})", "__metadata__ must be an object mapping strings to strings, not a string");
    check_header_refused(with_metadata + R"(null})", "__metadata__ must be an object mapping strings to strings, not null");
    check_header_refused(with_metadata + R"([]})", "__metadata__ must be an object mapping strings to strings, not an array");
    check_header_refused(with_metadata + R"({"format":"pt","epoch":3}})", "__metadata__ must map strings to strings; 'epoch' maps to a number");
    check_header_refused(with_metadata + R"({"config":{"lr":"0.1"}}})", "'config' maps to an object");
    // A valid one is accepted.
    CHECK_NOTHROW(load_bytes(file_bytes(with_metadata + R"({"format":"pt","note":""}})", floats(431))));
    // Names from a hostile file are shown cut short.
    check_header_refused("{\"" + std::string(100000, 'x') + "\":1}", "xxx...' (100000 bytes): must be an object");
}

TEST_CASE("safetensors: hostile JSON is refused at once, without building it in memory") {
    // Before the SAX reader, a 100 MiB header of [] took 2.2 GiB and 10 s to refuse; nested [[[...]]]
    // 3.7 GiB and 16 s.
    const long rss_before = peak_rss_kib();
    const std::size_t size = 100u << 20;  // the largest header allowed
    std::string bytes = file_bytes("", "", (long long)size);
    bytes.resize(8 + size);
    char* header = bytes.data() + 8;
    // The header as `prefix`, `unit` as often as fits, spaces, `suffix`: valid JSON up to the point
    // where the reader must refuse it.
    const auto fill = [&](const std::string& prefix, const std::string& unit, const std::string& suffix) {
        const std::size_t units = (size - prefix.size() - suffix.size()) / unit.size() * unit.size();
        std::memset(header, ' ', size);
        std::memcpy(header, prefix.data(), prefix.size());
        char* repeated = header + prefix.size();
        std::memcpy(repeated, unit.data(), unit.size());
        for (std::size_t done = unit.size(); done < units; done *= 2) std::memcpy(repeated + done, repeated, std::min(done, units - done));
        std::memcpy(header + size - suffix.size(), suffix.data(), suffix.size());
    };
    fill("[", "[],", "[]]");
    CHECK_THROWS_WITH_AS(load_bytes(bytes), doctest::Contains("the header is not a JSON object"), kiln::Error);
    std::memset(header, '[', size / 2);  // [[[[...]]]]
    std::memset(header + size / 2, ']', size / 2);
    CHECK_THROWS_WITH_AS(load_bytes(bytes), doctest::Contains("the header is not a JSON object"), kiln::Error);
    fill(R"({"l1_conv.weights":{"shape":[)", "0,", "0]}}");
    CHECK_THROWS_WITH_AS(load_bytes(bytes), doctest::Contains("tensor 'l1_conv.weights': shape has more than 64 dimensions"), kiln::Error);
    fill(R"({"l1_conv.weights":[)", "0,", "0]}");
    CHECK_THROWS_WITH_AS(load_bytes(bytes), doctest::Contains("must be an object with dtype, shape and data_offsets, not an array"),
                         kiln::Error);
    fill(R"({"__metadata__":{)", R"("a":"b",)", R"("a":"b"}})");
    CHECK_THROWS_WITH_AS(load_bytes(bytes), doctest::Contains("__metadata__ key 'a' appears twice"), kiln::Error);
    bytes = std::string();
    // The 100 MiB buffer itself is most of what the peak may have grown by; a JSON tree is gigabytes.
    INFO("peak resident memory grew by " << (peak_rss_kib() - rss_before) / 1024 << " MiB");
    CHECK(peak_rss_kib() - rss_before < 400 * 1024);

    // Deep nesting where each kind of value is expected.
    const std::string deep_open(100000, '['), deep_close(100000, ']');
    check_header_refused(deep_open + deep_close, "the header is not a JSON object");
    check_header_refused(R"({"l1_conv.weights":{"dtype":"F32","shape":)" + deep_open + deep_close + "}}",
                         "tensor 'l1_conv.weights': shape holds a value that is not a non-negative integer (an array)");
    check_header_refused(R"({"l1_conv.weights":{"dtype":"F32","data_offsets":[)" + deep_open + deep_close + "]}}",
                         "tensor 'l1_conv.weights': data_offsets must be two non-negative integers");
    std::string deep_objects = R"({"__metadata__":)";
    for (int i = 0; i < 100000; ++i) deep_objects += R"({"a":)";
    check_header_refused(deep_objects, "__metadata__ must map strings to strings; 'a' maps to an object");
}
