// See cifar10.hpp.
#include "kiln/data/cifar10.hpp"

#include "gzip_reader.hpp"

namespace kiln::data {

Dataset load_cifar10_binary(const std::vector<std::string>& paths) {
    constexpr std::size_t side = 32, plane = side * side, record = 1 + 3 * plane;
    if (paths.empty()) throw Error("load_cifar10_binary: no files given");
    std::vector<float> pixels;
    std::vector<std::uint8_t> labels;
    std::vector<unsigned char> r(record);
    for (const auto& path : paths) {
        detail::GzipReader in(path);
        std::size_t records = 0;
        while (!in.at_end()) {
            try {
                in.read(r.data(), record, "record " + std::to_string(records));
            } catch (const Error& e) {
                throw Error(std::string(e.what()) + ": a CIFAR-10 binary file is whole records of 3073 bytes");
            }
            if (r[0] > 9)
                throw Error(path + ": record " + std::to_string(records) + " has label " + std::to_string(r[0]) + " (CIFAR-10 has 0..9)");
            labels.push_back(r[0]);
            for (std::size_t p = 0; p < plane; ++p)
                for (std::size_t c = 0; c < 3; ++c) pixels.push_back(float(r[1 + c * plane + p]) / 255.0f);
            ++records;
            if (labels.size() * 3 * plane > std::size_t(Tensor::max_values)) throw Error(path + ": more records than one tensor can hold");
        }
        if (records == 0) throw Error(path + ": no records (an empty file)");
    }
    return Dataset(Shape{extent_t(side), extent_t(side), 3}, std::move(pixels), std::move(labels), 10);
}

}  // namespace kiln::data
