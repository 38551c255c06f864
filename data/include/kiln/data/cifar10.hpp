// CIFAR-10's binary format (data_batch_1.bin ... test_batch.bin): records of one label byte and
// 3,072 pixel bytes, the red plane, then green, then blue, each 32 rows of 32. kiln stores images
// NHWC, so the planes are interleaved on reading. The data set is not packaged by Debian.
#pragma once

#include <string>
#include <vector>

#include "kiln/data/dataset.hpp"

namespace kiln::data {

// The records of every file in `paths`, in order, pixels scaled to [0, 1]. Throws kiln::Error for
// an unreadable file, a size that is not a whole number of records, or a label above 9.
Dataset load_cifar10_binary(const std::vector<std::string>& paths);

}  // namespace kiln::data
