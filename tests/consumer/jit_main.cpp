// The consumer's JIT program: the same net compiled in process.
#include <kiln/codegen/jit.hpp>
#include <kiln/version.hpp>

#include "check.hpp"

int main() {
    std::printf("kiln %s\n", kiln::version);
    auto net = kiln::codegen::JitNet::compile<my_nets::EdgeNet>();
    return check_against_reference("consumer JIT", [&](const kiln::Tensor& input, const kiln::Weights& weights) {
        return net.run(input, weights);
    });
}
