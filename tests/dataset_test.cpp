// Data sets for training (kiln::data): IDX and CIFAR-10 binary files the tests write (gzip'd with
// zlib, or plain) read back exactly; every malformed file refused with what is wrong; Fashion-MNIST
// as Debian packages it; normalization against a plain loop; the shuffle reproducible.
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <unistd.h>

#include "kiln/data/augment.hpp"
#include "kiln/data/cifar10.hpp"
#include "kiln/data/idx.hpp"
#include "support.hpp"

using namespace kiln;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("kiln-dataset-" + std::to_string(::getpid()) + "-" + name);
}

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back((unsigned char)(v >> shift));
}

void write_file(const std::filesystem::path& p, const std::vector<unsigned char>& bytes, bool gzip) {
    if (gzip) {
        gzFile f = gzopen(p.c_str(), "wb");
        REQUIRE(f);
        REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
        gzclose(f);
    } else {
        std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
}

struct IdxData {
    std::uint32_t count, rows, cols;
    std::vector<unsigned char> pixels, labels;
};

IdxData random_idx(std::mt19937_64& rng, std::uint32_t count, std::uint32_t rows, std::uint32_t cols, int classes) {
    IdxData d{count, rows, cols, {}, {}};
    for (std::size_t i = 0; i < std::size_t(count) * rows * cols; ++i) d.pixels.push_back((unsigned char)(rng() & 0xff));
    for (std::size_t i = 0; i < count; ++i) d.labels.push_back((unsigned char)(rng() % classes));
    return d;
}

std::vector<unsigned char> images_bytes(const IdxData& d, std::uint32_t magic = 0x803) {
    std::vector<unsigned char> out;
    put_u32(out, magic);
    put_u32(out, d.count);
    put_u32(out, d.rows);
    put_u32(out, d.cols);
    out.insert(out.end(), d.pixels.begin(), d.pixels.end());
    return out;
}

std::vector<unsigned char> labels_bytes(const IdxData& d, std::uint32_t count) {
    std::vector<unsigned char> out;
    put_u32(out, 0x801);
    put_u32(out, count);
    out.insert(out.end(), d.labels.begin(), d.labels.end());
    return out;
}

}  // namespace

TEST_CASE("IDX files, gzip'd or plain, are read back exactly: pixels / 255 in NHWC, labels as written") {
    auto rng = test::rng_for("idx");
    for (bool gzip : {true, false}) {
        const std::uint32_t count = 1 + rng() % 40, rows = 1 + rng() % 9, cols = 1 + rng() % 9;
        const IdxData d = random_idx(rng, count, rows, cols, 10);
        const auto images = temp_path("images"), labels = temp_path("labels");
        write_file(images, images_bytes(d), gzip);
        write_file(labels, labels_bytes(d, count), gzip);
        const data::Dataset set = data::load_idx(images, labels);
        CHECK(set.size() == count);
        CHECK(set.shape() == Shape{rows, cols, 1});
        CHECK(set.classes() == 10);
        REQUIRE(set.pixels().size() == d.pixels.size());
        for (std::size_t i = 0; i < d.pixels.size(); ++i) REQUIRE(set.pixels()[i] == float(d.pixels[i]) / 255.0f);
        CHECK(std::equal(set.labels().begin(), set.labels().end(), d.labels.begin()));
        std::filesystem::remove(images);
        std::filesystem::remove(labels);
    }
}

TEST_CASE("malformed IDX files are refused with what is wrong") {
    auto rng = test::rng_for("idx malformed");
    const IdxData d = random_idx(rng, 12, 5, 4, 10);
    const auto images = temp_path("bad-images"), labels = temp_path("bad-labels");
    auto refused = [&](const std::vector<unsigned char>& im, const std::vector<unsigned char>& lb, bool gzip, const std::string& why) {
        write_file(images, im, gzip);
        write_file(labels, lb, gzip);
        CAPTURE(why);
        CHECK_THROWS_WITH_AS(data::load_idx(images, labels), doctest::Contains(why.c_str()), Error);
    };
    const auto good_images = images_bytes(d), good_labels = labels_bytes(d, 12);
    refused(images_bytes(d, 0x801), good_labels, true, "not an IDX image file (magic 0x00000801");
    refused(good_labels, good_labels, false, "not an IDX image file");
    refused(good_images, good_images, true, "not an IDX label file");
    refused(good_images, labels_bytes(d, 11), true, "holds 12 images but");
    auto cut = good_images;
    cut.resize(cut.size() - 7);
    refused(cut, good_labels, true, "ends in the middle of images");
    refused(cut, good_labels, false, "ends in the middle of images");
    auto longer = good_images;
    longer.push_back(1);
    refused(longer, good_labels, false, "bytes after the 12 images");
    auto bad_label = good_labels;
    bad_label.back() = 10;
    refused(good_images, bad_label, true, "label 10 of example 11 is not below the 10 classes");
    refused({0, 0, 8}, good_labels, false, "ends in the middle of the IDX magic number");
    // A header claiming 2^31 images of 1x1 in a small file: refused when the data runs out.
    IdxData huge = d;
    huge.count = 0x7fffffff, huge.rows = 1, huge.cols = 1;
    refused(images_bytes(huge), labels_bytes(d, 0x7fffffff), true, "ends in the middle of images");
    // A gzip stream cut short: zlib notices.
    write_file(images, good_images, true);
    const auto gz_size = std::filesystem::file_size(images);
    std::filesystem::resize_file(images, gz_size - 12);
    write_file(labels, good_labels, true);
    CHECK_THROWS_AS(data::load_idx(images, labels), Error);
    CHECK_THROWS_WITH_AS(data::load_idx(temp_path("missing"), labels), doctest::Contains("cannot read"), Error);
    CHECK_THROWS_WITH_AS(data::load_idx(std::filesystem::temp_directory_path(), labels), doctest::Contains("not a regular file"), Error);
    CHECK_THROWS_WITH_AS(data::load_fashion_mnist("validation"), doctest::Contains("'train' and 'test'"), Error);
    std::filesystem::remove(images);
    std::filesystem::remove(labels);
}

TEST_CASE("CIFAR-10 binary records: label, then the R, G and B planes, interleaved into NHWC on reading") {
    auto rng = test::rng_for("cifar10");
    const std::size_t plane = 32 * 32;
    std::vector<unsigned char> bytes, second;
    std::vector<std::vector<unsigned char>> records;
    for (int r = 0; r < 5; ++r) {
        std::vector<unsigned char> rec(1 + 3 * plane);
        rec[0] = (unsigned char)(rng() % 10);
        for (std::size_t i = 1; i < rec.size(); ++i) rec[i] = (unsigned char)(rng() & 0xff);
        (r < 3 ? bytes : second).insert((r < 3 ? bytes : second).end(), rec.begin(), rec.end());
        records.push_back(rec);
    }
    const auto a = temp_path("cifar-a.bin"), b = temp_path("cifar-b.bin");
    write_file(a, bytes, false);
    write_file(b, second, false);
    const data::Dataset set = data::load_cifar10_binary({a.string(), b.string()});
    REQUIRE(set.size() == 5);
    CHECK(set.shape() == Shape{32, 32, 3});
    for (std::size_t r = 0; r < 5; ++r) {
        CHECK(set.labels()[r] == records[r][0]);
        for (std::size_t y = 0; y < 32; ++y)
            for (std::size_t x = 0; x < 32; ++x)
                for (std::size_t c = 0; c < 3; ++c)
                    REQUIRE(set.pixels()[((r * 32 + y) * 32 + x) * 3 + c] == float(records[r][1 + c * plane + y * 32 + x]) / 255.0f);
    }
    auto cut = bytes;
    cut.resize(cut.size() - 100);
    write_file(a, cut, false);
    CHECK_THROWS_WITH_AS(data::load_cifar10_binary({a.string()}), doctest::Contains("whole records of 3073 bytes"), Error);
    auto bad = bytes;
    bad[3073] = 10;
    write_file(a, bad, false);
    CHECK_THROWS_WITH_AS(data::load_cifar10_binary({a.string()}), doctest::Contains("record 1 has label 10"), Error);
    write_file(a, {}, false);
    CHECK_THROWS_WITH_AS(data::load_cifar10_binary({a.string()}), doctest::Contains("no records"), Error);
    std::filesystem::remove(a);
    std::filesystem::remove(b);
}

TEST_CASE("Fashion-MNIST as Debian packages it: 60,000 + 10,000 images of 28x28, 6,000 + 1,000 per class") {
    const data::Dataset train = data::load_fashion_mnist("train"), test = data::load_fashion_mnist("test");
    CHECK(train.size() == 60000);
    CHECK(test.size() == 10000);
    CHECK(train.shape() == Shape{28, 28, 1});
    std::vector<int> per_class(10, 0), per_class_test(10, 0);
    for (auto l : train.labels()) ++per_class[l];
    for (auto l : test.labels()) ++per_class_test[l];
    for (int c = 0; c < 10; ++c) CHECK(per_class[c] == 6000);
    for (int c = 0; c < 10; ++c) CHECK(per_class_test[c] == 1000);
}

TEST_CASE("normalization uses each channel's mean and deviation, batches take examples in the order given") {
    auto rng = test::rng_for("normalize");
    const Shape shape{3, 4, 3};
    const std::size_t n = 7, per = 36;
    std::vector<float> pixels(n * per);
    std::uniform_real_distribution<float> u(0, 1);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = u(rng) * float(1 + i % 3);  // channels differ in range
    std::vector<std::uint8_t> labels = {0, 1, 2, 3, 4, 0, 1};
    data::Dataset set(shape, pixels, labels, 5);
    const data::Normalization norm = set.channel_statistics();
    for (std::size_t c = 0; c < 3; ++c) {
        double sum = 0, sq = 0;
        for (std::size_t i = c; i < pixels.size(); i += 3) sum += pixels[i];
        const double mean = sum / double(n * 12);
        for (std::size_t i = c; i < pixels.size(); i += 3) sq += (pixels[i] - mean) * (pixels[i] - mean);
        CHECK(norm.mean[c] == doctest::Approx(mean).epsilon(1e-6));
        CHECK(norm.stddev[c] == doctest::Approx(std::sqrt(sq / double(n * 12))).epsilon(1e-5));
    }
    set.normalize(norm);
    const data::Normalization after = set.channel_statistics();
    for (std::size_t c = 0; c < 3; ++c) {
        CHECK(std::abs(after.mean[c]) < 1e-5);
        CHECK(after.stddev[c] == doctest::Approx(1.0).epsilon(1e-4));
    }
    std::vector<int> batch_labels;
    const Tensor t = set.batch({6, 2, 4, 0}, 1, 2, batch_labels);
    CHECK(t.batch() == 2);
    CHECK(batch_labels == std::vector<int>{2, 4});
    CHECK(std::equal(t.data(), t.data() + per, set.pixels().begin() + 2 * per));
    CHECK_THROWS_WITH_AS(set.batch({6, 2}, 1, 2, batch_labels), doctest::Contains("a batch of 2 from position 1"), Error);
    CHECK_THROWS_WITH_AS(data::Dataset(shape, pixels, {0, 9}, 5), doctest::Contains("needs 72 values"), Error);
    CHECK_THROWS_WITH_AS(data::Dataset(shape, pixels, {0, 1, 2, 3, 4, 0, 5}, 5), doctest::Contains("label 5"), Error);
}

TEST_CASE("the shuffle is a permutation, the same for the same seed and epoch, another for the next epoch") {
    auto rng = test::rng_for("shuffle");
    const std::uint64_t seed = rng();
    const std::size_t n = 1 + rng() % 5000;
    const auto a = data::shuffled_order(n, seed, 3), b = data::shuffled_order(n, seed, 3), c = data::shuffled_order(n, seed, 4);
    CHECK(a == b);
    CHECK(std::set<std::size_t>(a.begin(), a.end()).size() == n);
    CHECK(*std::max_element(a.begin(), a.end()) == n - 1);
    if (n > 10) CHECK(a != c);
    if (n > 10) CHECK(a != data::shuffled_order(n, seed + 1, 3));
}

TEST_CASE("random horizontal flips mirror about half the examples exactly, the same ones for the same seed and counter") {
    auto rng = test::rng_for("flips");
    Tensor original(64, Shape{3, 5, 2});
    test::fill_uniform(original, rng);
    const std::uint64_t seed = rng();
    Tensor a = original, b = original, other = original;
    const std::size_t flipped = data::random_horizontal_flips(a, seed, 7);
    CHECK(data::random_horizontal_flips(b, seed, 7) == flipped);
    data::random_horizontal_flips(other, seed, 8);
    CHECK(flipped >= 16);  // 64 fair coins: below 16 or above 48 once in 10^5 runs
    CHECK(flipped <= 48);
    std::size_t mirrored = 0, differs_from_next = 0;
    for (extent_t n = 0; n < 64; ++n) {
        bool same = true, mirror = true, same_as_other = true;
        for (extent_t y = 0; y < 3; ++y)
            for (extent_t x = 0; x < 5; ++x)
                for (extent_t c = 0; c < 2; ++c) {
                    same &= a(n, y, x, c) == original(n, y, x, c);
                    mirror &= a(n, y, x, c) == original(n, y, 4 - x, c);
                    same_as_other &= a(n, y, x, c) == other(n, y, x, c);
                    CHECK(a(n, y, x, c) == b(n, y, x, c));
                }
        CHECK((same || mirror));
        mirrored += !same;
        differs_from_next += !same_as_other;
    }
    CHECK(mirrored == flipped);
    CHECK(differs_from_next > 0);  // another counter, other coins
}
