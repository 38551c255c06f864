// kiln's DSL in one include: declare a CNN as a type, check it and count it at compile time.
#pragma once

#include "kiln/dsl/activation.hpp"
#include "kiln/dsl/batch_norm.hpp"
#include "kiln/dsl/channels.hpp"
#include "kiln/dsl/concat.hpp"
#include "kiln/dsl/conv.hpp"
#include "kiln/dsl/dense.hpp"
#include "kiln/dsl/describe.hpp"
#include "kiln/dsl/dropout.hpp"
#include "kiln/dsl/gate.hpp"
#include "kiln/dsl/input.hpp"
#include "kiln/dsl/lrn.hpp"
#include "kiln/dsl/net.hpp"
#include "kiln/dsl/pool.hpp"
#include "kiln/dsl/residual.hpp"
#include "kiln/dsl/softmax.hpp"
#include "kiln/dsl/summary.hpp"
