// Claims of the lecture kiln grew from, reproduced: the Sobel example exactly (12x12 responses and
// the 0-255 image), and GoogLeNet's table (every output size exact; params and ops compared row by row).
#include <cmath>
#include <fstream>
#include <sstream>

#include "nets/googlenet.hpp"
#include "support.hpp"

namespace {
std::vector<std::vector<double>> read_matrix(const std::string& file) {
    std::ifstream in(std::string(KILN_TEST_DATA) + "/" + file);
    REQUIRE(in.good());
    std::vector<std::vector<double>> rows;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::vector<double> row;
        for (double v; s >> v;) row.push_back(v);
        if (!row.empty()) rows.push_back(row);
    }
    return rows;
}
}  // namespace

TEST_CASE("lecture: the Sobel example, full padding, reproduced exactly") {
    using Sobel = kiln::Net<kiln::Input<10, 10, 1>, kiln::Conv<1, kiln::Kernel<3>, kiln::Full, kiln::NoBias>>;
    static_assert(Sobel::output_shape == kiln::Shape{12, 12, 1});
    const auto image = read_matrix("sobel_image.txt");
    const auto expected = read_matrix("sobel_full.txt");
    const auto normalized = read_matrix("sobel_normalized.txt");
    auto net = kiln::codegen::JitNet::compile<Sobel>();
    kiln::Weights w = kiln::Weights::for_net(net.spec());
    w["l1_conv.weights"] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
    kiln::Tensor in = kiln::Tensor::for_input<Sobel>(1);
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 10; ++x) in(0, y, x, 0) = float(image[y][x]);
    const kiln::Tensor out = net.run(in, w);
    double largest = 0;
    for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 12; ++x) {
            INFO("row " << y << " column " << x);
            CHECK(out(0, y, x, 0) == expected[y][x]);
            largest = std::max(largest, std::abs(double(out(0, y, x, 0))));
        }
    CHECK(largest == 1020);
    for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 12; ++x) CHECK(std::floor(128 + out(0, y, x, 0) * 127.5 / largest) == normalized[y][x]);
}

TEST_CASE("lecture: GoogLeNet's table, output sizes exact, params and ops row by row") {
    const kiln::NetSpec spec = kiln::describe<nets::GoogLeNet>();
    std::vector<std::string> differing;
    for (const auto& row : nets::googlenet_table) {
        kiln::extent_t weights = 0, macs = 0;
        for (int l = row.first_layer; l <= row.last_layer; ++l) {
            weights += nets::weight_count(spec.layers[std::size_t(l - 1)]);
            macs += spec.layers[std::size_t(l - 1)].macs;
        }
        INFO(row.type);
        CHECK(spec.layers[std::size_t(row.last_layer - 1)].out == row.output);
        const double k = double(weights) / 1024, m = double(macs) / 1e6;
        if (row.params_k == 0) {
            CHECK(weights == 0);
            continue;
        }
        if (std::abs(k - row.params_k) > 0.01 * row.params_k + 0.5 || std::abs(m - row.ops_m) > 0.01 * row.ops_m + 0.5)
            differing.push_back(row.type);
    }
    // The table's known inconsistencies, measured (see examples/googlenet): the stem's 2.7K/34M fit no
    // 7x7x3x64 kernel, 4c and 4d's ops/params ratios are not their 196-cell output area, and 5a/5b's
    // params are 5% and 2% off the filter counts the same rows list. Every other row agrees within 1%.
    const std::vector<std::string> known = {"convolution 7x7/2", "inception (4c)", "inception (4d)", "inception (5a)",
                                            "inception (5b)"};
    CHECK(differing == known);
    CHECK(spec.output == kiln::Shape{1, 1, 1000});
}
