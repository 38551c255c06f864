// The lecture's CIFAR-10 models. TensorFlowCifar10 is the TensorFlow tutorial model (24x24 crops,
// conv-pool-LRN, conv-LRN-pool, dense layers of 384 and 192, 10 logits). Models 1-4
// are the table's variants: each listed conv is 'same' + ReLU + 3x3/2 'same' max pooling, then a
// dense layer of 10 and softmax, on 32x32x3 images.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

using Cifar10Lrn = Lrn<4, std::ratio<1>, std::ratio<1, 9000>, std::ratio<3, 4>>;  // tf.nn.lrn(4, 1.0, 0.001/9, 0.75)

using TensorFlowCifar10 = Net<Input<24, 24, 3>,
                              Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>, Cifar10Lrn,
                              Conv<64, Kernel<5>, Same>, Relu, Cifar10Lrn, MaxPool<Window<3>, Stride<2>, Same>,
                              Dense<384>, Relu, Dense<192>, Relu, Dense<10>, Softmax>;


using Cifar10Model1 = Net<Input<32, 32, 3>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Dense<10>, Softmax>;
using Cifar10Model2 = Net<Input<32, 32, 3>, Conv<256, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Dense<10>, Softmax>;
using Cifar10Model3 = Net<Input<32, 32, 3>,
                          Conv<128, Kernel<7>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Conv<64, Kernel<3>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Dense<10>, Softmax>;
using Cifar10Model4 = Net<Input<32, 32, 3>,
                          Conv<256, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Conv<128, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Conv<64, Kernel<3>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>,
                          Dense<10>, Softmax>;

}  // namespace nets
