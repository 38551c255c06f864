// GoogLeNet declared from the lecture's table: kiln's summary, then the table beside kiln's numbers,
// row by row, with every row where they differ marked and the difference given.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "nets/googlenet.hpp"

int main() {
    using nets::GoogLeNet;
    static_assert(GoogLeNet::output_shape == kiln::Shape{1, 1, 1000});
    const kiln::NetSpec spec = kiln::describe<GoogLeNet>();
    kiln::print_summary(std::cout, spec);

    std::printf("\nThe lecture's table beside kiln (params in K = 1024 weights, ops in M = 10^6 MACs):\n");
    std::printf("%-18s %-14s %-14s %10s %10s %10s %10s  %s\n", "type", "table output", "kiln output", "table K",
                "kiln K", "table M", "kiln M", "");
    int differing = 0;
    for (const auto& row : nets::googlenet_table) {
        kiln::extent_t weights = 0, macs = 0;
        for (int l = row.first_layer; l <= row.last_layer; ++l) {
            weights += nets::weight_count(spec.layers[std::size_t(l - 1)]);
            macs += spec.layers[std::size_t(l - 1)].macs;
        }
        const kiln::Shape out = spec.layers[std::size_t(row.last_layer - 1)].out;
        const double k = double(weights) / 1024, m = double(macs) / 1e6;
        const bool shape_ok = out == row.output;
        const bool params_ok = row.params_k == 0 ? weights == 0 : std::abs(k - row.params_k) <= 0.01 * row.params_k + 0.5;
        const bool ops_ok = row.ops_m == 0 ? macs == 0 : std::abs(m - row.ops_m) <= 0.01 * row.ops_m + 0.5;
        char note[160] = "";
        if (!shape_ok || !params_ok || !ops_ok) {
            ++differing;
            // For a conv or inception row, ops / params is the output area if the table agrees with itself.
            const double table_area = row.ops_m * 1e6 / (row.params_k * 1024);
            std::snprintf(note, sizeof note, "<- differs: params x%.2f, ops x%.2f; table ops/params %.0f vs area %lld",
                          row.params_k ? k / row.params_k : 0.0, row.ops_m ? m / row.ops_m : 0.0, table_area,
                          (long long)(out.h * out.w));
        }
        std::printf("%-18s %4lldx%-4lldx%-4lld %4lldx%-4lldx%-4lld %10.1f %10.1f %10.1f %10.1f  %s\n", row.type,
                    (long long)row.output.h, (long long)row.output.w, (long long)row.output.c, (long long)out.h,
                    (long long)out.w, (long long)out.c, row.params_k, k, row.ops_m, m, note);
    }
    std::printf("\n%d row(s) differ by more than 1%% in params or ops; every output size agrees.\n", differing);
    std::printf("Totals: %.2fM parameters with biases, %.2fG MACs per 224x224 image.\n", double(spec.param_count) / 1e6,
                double(spec.macs) / 1e9);
    return 0;
}
