// GoogLeNet (Szegedy et al. 2014) as declared from the lecture's table: the stem, nine inception
// modules, average pool, dropout, linear, softmax. LRN layers of the original paper are not in the
// table and are left out.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

// Four branches: 1x1 | 1x1 reduce -> 3x3 | 1x1 reduce -> 5x5 | 3x3 max pool -> 1x1 projection.
template <extent_t C1, extent_t R3, extent_t C3, extent_t R5, extent_t C5, extent_t Proj>
using Inception = Concat<Branch<Conv<C1, Kernel<1>>, Relu>,
                         Branch<Conv<R3, Kernel<1>>, Relu, Conv<C3, Kernel<3>, Same>, Relu>,
                         Branch<Conv<R5, Kernel<1>>, Relu, Conv<C5, Kernel<5>, Same>, Relu>,
                         Branch<MaxPool<Window<3>, Stride<1>, Same>, Conv<Proj, Kernel<1>>, Relu>>;

using Pool3s2 = MaxPool<Window<3>, Stride<2>, Same>;

using GoogLeNet = Net<Input<224, 224, 3>,
                      Conv<64, Kernel<7>, Stride<2>, Pad<3>>, Relu,                          // 1-2   112x112x64
                      Pool3s2,                                                               // 3     56x56x64
                      Conv<64, Kernel<1>>, Relu, Conv<192, Kernel<3>, Same>, Relu,           // 4-7   56x56x192
                      Pool3s2,                                                               // 8     28x28x192
                      Inception<64, 96, 128, 16, 32, 32>,                                    // 9     3a
                      Inception<128, 128, 192, 32, 96, 64>,                                  // 10    3b
                      Pool3s2,                                                               // 11    14x14x480
                      Inception<192, 96, 208, 16, 48, 64>,                                   // 12    4a
                      Inception<160, 112, 224, 24, 64, 64>,                                  // 13    4b
                      Inception<128, 128, 256, 24, 64, 64>,                                  // 14    4c
                      Inception<112, 144, 288, 32, 64, 64>,                                  // 15    4d
                      Inception<256, 160, 320, 32, 128, 128>,                                // 16    4e
                      Pool3s2,                                                               // 17    7x7x832
                      Inception<256, 160, 320, 32, 128, 128>,                                // 18    5a
                      Inception<384, 192, 384, 48, 128, 128>,                                // 19    5b
                      AvgPool<Window<7>, Stride<1>>,                                         // 20    1x1x1024
                      Dropout<std::ratio<2, 5>>,                                             // 21
                      Dense<1000>,                                                           // 22
                      Softmax>;                                                              // 23

// The lecture's table, row by row: which of our layers make the row, and what the table says.
// The table's "K" for parameters is 1024 and its "M" for ops is 10^6 (the fit of every inception
// row shows it); ops are multiply-accumulates of the weights, parameters exclude biases.
struct TableRow {
    const char* type;
    int first_layer, last_layer;  // our 1-based layer positions
    Shape output;
    double params_k;  // 0 where the table leaves it blank
    double ops_m;
};
inline const TableRow googlenet_table[] = {
    {"convolution 7x7/2", 1, 2, {112, 112, 64}, 2.7, 34},
    {"max pool 3x3/2", 3, 3, {56, 56, 64}, 0, 0},
    {"convolution 3x3/1", 4, 7, {56, 56, 192}, 112, 360},
    {"max pool 3x3/2", 8, 8, {28, 28, 192}, 0, 0},
    {"inception (3a)", 9, 9, {28, 28, 256}, 159, 128},
    {"inception (3b)", 10, 10, {28, 28, 480}, 380, 304},
    {"max pool 3x3/2", 11, 11, {14, 14, 480}, 0, 0},
    {"inception (4a)", 12, 12, {14, 14, 512}, 364, 73},
    {"inception (4b)", 13, 13, {14, 14, 512}, 437, 88},
    {"inception (4c)", 14, 14, {14, 14, 512}, 463, 100},
    {"inception (4d)", 15, 15, {14, 14, 528}, 580, 119},
    {"inception (4e)", 16, 16, {14, 14, 832}, 840, 170},
    {"max pool 3x3/2", 17, 17, {7, 7, 832}, 0, 0},
    {"inception (5a)", 18, 18, {7, 7, 832}, 1072, 54},
    {"inception (5b)", 19, 19, {7, 7, 1024}, 1388, 71},
    {"avg pool 7x7/1", 20, 20, {1, 1, 1024}, 0, 0},
    {"dropout (40%)", 21, 21, {1, 1, 1024}, 0, 0},
    {"linear", 22, 22, {1, 1, 1000}, 1000, 1},
    {"softmax", 23, 23, {1, 1, 1000}, 0, 0},
};

// Learned weights (biases, scales and shifts excluded) of a described layer and its branches.
inline extent_t weight_count(const LayerSpec& l) {
    extent_t n = 0;
    for (const auto& p : l.params)
        if (p.role == "weights") n += p.elements();
    for (const auto& branch : l.children)
        for (const auto& child : branch) n += weight_count(child);
    return n;
}

}  // namespace nets
