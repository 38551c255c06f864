// Compiled by CTest (sanitize.dsl_*) under every sanitizer of g++ and clang: the DSL's constant
// expressions must stay constant when the compiler instruments null and attribute checks (g++'s
// -fsanitize=null refused a comparison of tag addresses in options.hpp).
#include <kiln/dsl.hpp>

#include "nets/cifar10.hpp"
#include "nets/googlenet.hpp"

using namespace kiln;
using Block = Net<Input<24, 24, 3>, Conv<64, Kernel<5>, Same, Stride<1>, Dilation<1>>, LeakyRelu<std::ratio<1, 10>>,
                  MaxPool<Window<3>, Stride<2>, Same>, Dense<10>, Softmax>;
static_assert(Block::output_shape == Shape{1, 1, 10});

static_assert(nets::GoogLeNet::output_shape.c == 1000);

int main() { return describe<Block>().layers.size() + describe<nets::TensorFlowCifar10>().layers.size() > 0 ? 0 : 1; }
