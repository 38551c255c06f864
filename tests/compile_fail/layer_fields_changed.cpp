// Code that reads layer attributes field by field (the signature, the summary, the tuning key, the
// ONNX declaration writer) asserts the field counts it was written for: one written when conv had
// a field less no longer compiles. The twin states today's counts.
// expect: a layer kind's fields changed
#include "kiln/dsl/layer_fields.hpp"

#ifdef KILN_TWIN
static_assert(kiln::layer_fields_are({9, 13, 8, 0, 0, 2, 1, 2, 8, 0, 0, 0, 0, 2, 1, 2, 0}), "a layer kind's fields changed");
#else
static_assert(kiln::layer_fields_are({8, 13, 8, 0, 0, 2, 1, 2, 8, 0, 0, 0, 0, 2, 1, 2, 0}), "a layer kind's fields changed");
#endif
