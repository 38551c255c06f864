// The lecture's Sobel example, end to end with kiln: a 10x10 image, the 3x3 Sobel operator as a
// one-filter convolution with full padding (p = k - 1, so the output is 12x12), the raw responses,
// their 0-255 normalization, and the edge image written as PNG.
//
//   ./sobel [out.png]
#include <png.h>

#include <cmath>
#include <cstdio>
#include <kiln/codegen/jit.hpp>
#include <kiln/dsl.hpp>
#include <kiln/runtime/atomic_file.hpp>
#include <kiln/runtime/error.hpp>
#include <vector>

using Sobel = kiln::Net<kiln::Input<10, 10, 1>, kiln::Conv<1, kiln::Kernel<3>, kiln::Full, kiln::NoBias>>;
static_assert(Sobel::output_shape == kiln::Shape{12, 12, 1}, "full padding: 10 + 2*2 - 3 + 1 = 12");

static const float image[10][10] = {
    {0, 0, 0, 0, 255, 255, 0, 0, 0, 0},       {0, 0, 0, 255, 255, 255, 255, 0, 0, 0},
    {0, 0, 0, 0, 255, 255, 0, 0, 0, 0},       {255, 0, 0, 255, 255, 255, 255, 0, 0, 0},
    {0, 0, 255, 255, 255, 255, 255, 255, 0, 0}, {0, 255, 0, 255, 255, 255, 255, 0, 255, 0},
    {0, 0, 0, 255, 255, 255, 255, 0, 0, 0},   {0, 0, 0, 255, 255, 255, 255, 0, 0, 0},
    {0, 0, 0, 255, 0, 0, 255, 0, 0, 255},     {0, 0, 255, 255, 0, 0, 255, 255, 0, 0}};

static const float sobel[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};

// Writes a grey image, each pixel scaled up to a `zoom` x `zoom` block so it can be seen.
static bool write_png(const char* path, const std::vector<unsigned char>& grey, int w, int h, int zoom) {
    FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return false;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, w * zoom, h * zoom, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    std::vector<unsigned char> row(std::size_t(w * zoom));
    for (int y = 0; y < h * zoom; ++y) {
        for (int x = 0; x < w * zoom; ++x) row[std::size_t(x)] = grey[std::size_t((y / zoom) * w + x / zoom)];
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    return true;
}

int main(int argc, char** argv) {
    const char* png_path = argc > 1 ? argv[1] : "sobel.png";
    auto net = kiln::codegen::JitNet::compile<Sobel>();

    kiln::Weights weights = kiln::Weights::for_net(net.spec());
    auto& k = weights["l1_conv.weights"];  // HWIO, with one input and one output channel: k[ky * 3 + kx]
    for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) k[std::size_t(ky * 3 + kx)] = sobel[ky][kx];

    kiln::Tensor in = kiln::Tensor::for_input<Sobel>(1);
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 10; ++x) in(0, y, x, 0) = image[y][x];

    const kiln::Tensor out = net.run(in, weights);

    std::printf("Sobel response (12x12, full padding):\n");
    float largest = 0;
    for (int y = 0; y < 12; ++y) {
        for (int x = 0; x < 12; ++x) {
            std::printf("%6.0f", out(0, y, x, 0));
            largest = std::max(largest, std::abs(out(0, y, x, 0)));
        }
        std::printf("\n");
    }
    // The lecture maps [-max, max] onto [0, 255] with 0 at 128: floor(128 + v * 127.5 / max).
    std::printf("\nnormalized to 0-255:\n");
    std::vector<unsigned char> grey;
    for (int y = 0; y < 12; ++y) {
        for (int x = 0; x < 12; ++x) {
            const int g = int(std::floor(128.0 + out(0, y, x, 0) * 127.5 / largest));
            grey.push_back((unsigned char)g);
            std::printf("%4d", g);
        }
        std::printf("\n");
    }
    try {  // written beside the target and renamed: an interrupted run leaves the last image whole
        kiln::write_file_atomically(png_path, [&](const std::string& temporary) {
            if (!write_png(temporary.c_str(), grey, 12, 12, 16)) throw kiln::Error("could not write " + temporary);
        });
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::printf("\nedge image written to %s\n", png_path);
    return 0;
}
