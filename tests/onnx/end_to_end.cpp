// ONNX in, standalone kernel out: the small CNN tests/onnx/make_small_cnn.py defines in PyTorch and
// exports (conv with SiLU, max pool, a residual block, an inception-style concat, a depthwise conv
// with ReLU6, squeeze-excitation with a hard sigmoid, an average pool, a ConvNeXt block (layer norm,
// Linear and GELU channels-last, layer scale), a ShuffleNetV2 unit (channel halves, the shuffle), a
// strided conv with leaky ReLU, a 1x1 conv with HardSwish, flatten, linear, log-softmax), built by
// kiln_add_onnx_net into an AOT kernel, run on the script's input with the weights kiln-import
// wrote, and compared with PyTorch's output. Links the kernel, kiln::runtime and kiln::onnx (to
// read the TensorProto files), not libHalide.
//
//   onnx_end_to_end WEIGHTS.safetensors INPUT.pb EXPECTED.pb
#include <cmath>
#include <cstdio>

#include "kiln/onnx/onnx_tensor.hpp"
#include "kiln/runtime/safetensors.hpp"
#include "small_cnn.hpp"      // the kernel: kiln_kernels::small_cnn
#include "small_cnn.net.hpp"  // the declaration kiln-import wrote: kiln_onnx::small_cnn

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: onnx_end_to_end WEIGHTS.safetensors INPUT.pb EXPECTED.pb\n");
        return 2;
    }
    using Net = kiln_onnx::small_cnn;
    try {
        const kiln::Weights weights = kiln::load_safetensors(kiln::describe<Net>(), argv[1]);
        const kiln::onnx::OnnxLayout in{Net::input_shape, 4, false}, out{Net::output_shape, 2, false};
        const kiln::Tensor input = kiln::onnx::to_kiln(kiln::onnx::read_tensor_file(argv[2]), in);
        const kiln::onnx::OnnxTensor want = kiln::onnx::read_tensor_file(argv[3]);
        const kiln::onnx::OnnxTensor got = kiln::onnx::from_kiln(kiln_kernels::small_cnn::run(input, weights), out);
        if (got.dims != want.dims) {
            std::printf("output dims differ from PyTorch's\n");
            return 1;
        }
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < want.floats.size(); ++i) {
            worst = std::max(worst, std::fabs(double(got.floats[i]) - want.floats[i]));
            scale = std::max(scale, std::fabs(double(want.floats[i])));
        }
        std::printf("kernel against PyTorch: max |difference| %.3g, relative to max |output| %.3g: %.3g (limit 1e-4)\n", worst, scale,
                    worst / scale);
        return worst <= 1e-4 * scale ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "onnx_end_to_end: %s\n", e.what());
        return 1;
    }
}
