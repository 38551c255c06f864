// IDX files (the format of MNIST and Fashion-MNIST), gzip'd or not: images are idx3-ubyte
// [count, rows, cols], labels idx1-ubyte [count]. Read through zlib, streamed: a header that
// claims more data than the file holds is refused when the data runs out, never allocated up front.
#pragma once

#include <string>

#include "kiln/data/dataset.hpp"

namespace kiln::data {

// Pixels scaled from 0..255 to [0, 1], one channel. Throws kiln::Error for a missing or unreadable
// file, bad gzip data, a wrong magic number, counts that disagree, truncation, trailing bytes, or
// a label not below `classes`.
Dataset load_idx(const std::string& images_path, const std::string& labels_path, int classes = 10);

// Where Debian's dataset-fashion-mnist puts the files.
inline const std::string fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST's "train" (60,000 images) or "test" (10,000) split from `dir`
// (train-images-idx3-ubyte.gz, ...).
Dataset load_fashion_mnist(const std::string& split, const std::string& dir = fashion_mnist_dir);

}  // namespace kiln::data
