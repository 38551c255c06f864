// The consumer's AOT program: the kernel kiln_add_net generated, through its typed header.
#include "check.hpp"
#include "edge_net.hpp"

int main() {
    std::printf("kernel targets: %s\n", kiln_kernels::edge_net::target);
    return check_against_reference("consumer AOT", [](const kiln::Tensor& input, const kiln::Weights& weights) {
        return kiln_kernels::edge_net::run(input, weights);
    });
}
