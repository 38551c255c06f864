// kiln in one file: declare a net as a type, let the compiler check its shapes, run it via Halide.
#include <iostream>
#include <kiln/codegen/jit.hpp>
#include <kiln/dsl.hpp>

using namespace kiln;

using Tiny = Net<Input<32, 32, 3>,
                 Conv<16, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,  // 16x16x16
                 Conv<32, Kernel<3>, Same>, Relu, MaxPool<Window<2>>,                   // 8x8x32
                 Dense<10>, Softmax>;

static_assert(Tiny::shapes[3] == Shape{16, 16, 16});  // checked by the compiler, like every shape
static_assert(Tiny::param_count == (5 * 5 * 3 * 16 + 16) + (3 * 3 * 16 * 32 + 32) + (8 * 8 * 32 * 10 + 10));

int main() {
    print_summary(std::cout, describe<Tiny>());

    auto net = codegen::JitNet::compile<Tiny>();           // lower to Halide, schedule, JIT
    Weights weights = Weights::for_net(net.spec());        // one tensor per declared weight/bias
    weights.fill_random(7);
    Tensor images = Tensor::for_input<Tiny>(8);            // batch 8 of 32x32x3, NHWC
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = float(i % 255) / 255.0f;

    Tensor probs = net.run(images, weights);               // 8 x 1x1x10
    std::cout << "image 0, class 3: " << probs(0, 0, 0, 3) << "\n";
}
