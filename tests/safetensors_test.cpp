// safetensors: round trip, PyTorch layout conversion (checked with the test's own index
// formulas), and hostile files, each of which must give an error naming the problem.
#include <cstdio>
#include <fstream>

#include "kiln/runtime/safetensors.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

using Small = Net<Input<4, 3, 2>, Conv<5, Kernel<3, 2>, Same>, Relu, Dense<6>>;

std::string temp_path(const std::string& stem) { return "/tmp/kiln_test_" + stem + "_" + std::to_string(test::seed()) + ".safetensors"; }

// A file from a header text and raw data bytes, length prefix included unless `length` overrides it.
std::string write_file(const std::string& stem, const std::string& header, const std::string& data,
                       long long length = -1, std::size_t truncate_to = std::string::npos) {
    std::string bytes(8, '\0');
    const unsigned long long n = length >= 0 ? (unsigned long long)length : header.size();
    for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char((n >> (8 * i)) & 0xff);
    bytes += header + data;
    if (truncate_to != std::string::npos) bytes.resize(truncate_to);
    const std::string path = temp_path(stem);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
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
    check_refused(write_file("json", "{\"l1_conv.weights\": [", data), "not valid JSON");
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
