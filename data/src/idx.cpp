// See idx.hpp.
#include "kiln/data/idx.hpp"

#include <algorithm>

#include "gzip_reader.hpp"

namespace kiln::data {

namespace {

constexpr std::uint32_t images_magic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr std::uint32_t labels_magic = 0x00000801;  // unsigned bytes, 1 dimension

std::string hex(std::uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", v);
    return text;
}

// Reads `count` records of `record` bytes in chunks, so memory follows the data actually there.
template <class Each>
void read_records(detail::GzipReader& in, std::size_t count, std::size_t record, const std::string& what, Each each) {
    std::vector<unsigned char> chunk;
    const std::size_t per_chunk = std::max<std::size_t>(1, (std::size_t(1) << 20) / record);
    for (std::size_t first = 0; first < count; first += per_chunk) {
        const std::size_t n = std::min(per_chunk, count - first);
        chunk.resize(n * record);
        in.read(chunk.data(), chunk.size(), what + " " + std::to_string(first) + ".." + std::to_string(first + n - 1) + " of " +
                                                std::to_string(count));
        each(chunk.data(), n);
    }
}

}  // namespace

Dataset load_idx(const std::string& images_path, const std::string& labels_path, int classes) {
    if (classes < 1 || classes > 256) throw Error("load_idx: classes must be 1..256, got " + std::to_string(classes));
    detail::GzipReader images(images_path), labels(labels_path);
    const std::uint32_t im = images.read_u32("the IDX magic number");
    if (im != images_magic)
        throw Error(images_path + ": not an IDX image file (magic " + hex(im) + ", expected " + hex(images_magic) +
                    ": unsigned bytes in 3 dimensions)");
    const std::uint32_t lm = labels.read_u32("the IDX magic number");
    if (lm != labels_magic)
        throw Error(labels_path + ": not an IDX label file (magic " + hex(lm) + ", expected " + hex(labels_magic) +
                    ": unsigned bytes in 1 dimension)");
    const std::uint32_t count = images.read_u32("the image count"), rows = images.read_u32("the row count"),
                        cols = images.read_u32("the column count");
    const std::uint32_t label_count = labels.read_u32("the label count");
    if (count != label_count)
        throw Error(images_path + " holds " + std::to_string(count) + " images but " + labels_path + " holds " +
                    std::to_string(label_count) + " labels");
    if (count == 0 || rows == 0 || cols == 0 || rows > 65536 || cols > 65536)
        throw Error(images_path + ": " + std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                    " pixels is not a data set kiln can read");
    const std::size_t per_image = std::size_t(rows) * cols;
    if (std::size_t(count) * per_image > std::size_t(Tensor::max_values))
        throw Error(images_path + ": " + std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                    " exceed what one tensor can hold");

    std::vector<float> pixels;
    read_records(images, count, per_image, "images", [&](const unsigned char* p, std::size_t n) {
        for (std::size_t i = 0; i < n * per_image; ++i) pixels.push_back(float(p[i]) / 255.0f);
    });
    if (!images.at_end()) throw Error(images_path + ": bytes after the " + std::to_string(count) + " images the header announces");
    std::vector<std::uint8_t> label_values;
    read_records(labels, count, 1, "labels", [&](const unsigned char* p, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (p[i] >= classes)
                throw Error(labels_path + ": label " + std::to_string(p[i]) + " of example " + std::to_string(label_values.size()) +
                            " is not below the " + std::to_string(classes) + " classes");
            label_values.push_back(p[i]);
        }
    });
    if (!labels.at_end()) throw Error(labels_path + ": bytes after the " + std::to_string(count) + " labels the header announces");
    return Dataset(Shape{extent_t(rows), extent_t(cols), 1}, std::move(pixels), std::move(label_values), classes);
}

Dataset load_fashion_mnist(const std::string& split, const std::string& dir) {
    std::string prefix;
    if (split == "train") prefix = "train";
    else if (split == "test") prefix = "t10k";
    else throw Error("Fashion-MNIST has the splits 'train' and 'test', not '" + split + "'");
    try {
        return load_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", dir + "/" + prefix + "-labels-idx1-ubyte.gz", 10);
    } catch (const Error& e) {
        if (dir == fashion_mnist_dir)
            throw Error(std::string(e.what()) + " (Fashion-MNIST comes with Debian's dataset-fashion-mnist package)");
        throw;
    }
}

}  // namespace kiln::data
