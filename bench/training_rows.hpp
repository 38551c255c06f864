// Training throughput rows of the benchmark: one step (forward, loss, backward, update) of kiln's
// TrainNet against PyTorch's (same net, batch and thread count, SGD with momentum), in images/s and
// GFLOP/s counted as 3 x the forward FLOPs (forward, and backward to inputs and to weights).
#pragma once

#include <string>
#include <vector>

#include "served_peer.hpp"

namespace bench {

// Registers "<net>-train/kiln/<batch>" and "<net>-train/pytorch/<batch>" for FashionTwoConv and the
// lecture's CIFAR-10 model 1 at batch 64, appending their names to `registered`.
void register_training_rows(ServedPeer& pytorch, std::vector<std::string>& registered);

}  // namespace bench
