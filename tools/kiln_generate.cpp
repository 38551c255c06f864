// kiln's build-time generator for one net (kiln_add_net, cmake/KilnAot.cmake builds one per net with
// KILN_NET_HEADER and KILN_NET_TYPE naming the user's declaration). Only the declaration is compiled
// here; the flags and the code generation are kiln::generator's (generator_main.cpp), compiled once.
#include KILN_NET_HEADER
#include "generator_main.hpp"
#include "kiln/dsl/describe.hpp"

int main(int argc, char** argv) {
    return kiln::tools::generator_main(argc, argv, [] { return kiln::describe<KILN_NET_TYPE>(); });
}
