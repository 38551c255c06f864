// What the 1x1 convs at the head of an inception module's branches would gain from sharing one
// read of their input: for each GoogLeNet module, its three 1x1 convs over the module's input (the
// 1x1 branch and the 3x3 and 5x5 branches' reduce convs, each with its ReLU) run one after another
// under `fused`, against one 1x1 conv with all their filters. The merged row bounds what a shared
// read could buy: one input read, one pipeline call, wider channel blocks.
#pragma once

#include <string>
#include <vector>

namespace bench {

// Registers "Inception<module>-1x1/separate/1" and "Inception<module>-1x1/merged/1" for GoogLeNet's
// nine modules, appending their names to `registered`.
void register_inception_reduce_rows(std::vector<std::string>& registered);

}  // namespace bench
