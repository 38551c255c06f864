// ONNX import (kiln::onnx) on models built here: forks that become Residual and Concat (with their
// branch order), Flatten -> Gemm's weight rows permuted from NCHW to NHWC, MatMul + Add as one
// Dense, batch norm kept or folded; each against plain loops over the ONNX (NCHW) tensors written
// for this test; and the errors a model kiln cannot map gets, naming the node, operator and reason.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <memory>
#include <random>

#include "kiln/codegen/jit.hpp"
#include "kiln/onnx/declaration.hpp"
#include "kiln/onnx/import.hpp"
#include "support.hpp"

namespace ko = kiln::onnx;

namespace {

// A model under construction: one float input "x" of the given dims, nodes, initializers, one output.
class Model {
  public:
    Model(std::vector<std::int64_t> dims, int opset = 13) {
        m_.set_ir_version(8);
        m_.add_opset_import()->set_version(opset);
        m_.mutable_graph()->set_name("test_net");
        value(m_.mutable_graph()->add_input(), "x", dims);
    }
    ::onnx::NodeProto& node(const std::string& op, std::vector<std::string> in, std::string out, const std::string& name = "") {
        auto* n = m_.mutable_graph()->add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? op + "_" + std::to_string(m_.graph().node_size()) : name);
        for (auto& i : in) n->add_input(i);
        n->add_output(out);
        return *n;
    }
    void weights(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& v) {
        auto* t = m_.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(::onnx::TensorProto::FLOAT);
        for (auto d : dims) t->add_dims(d);
        for (float f : v) t->add_float_data(f);
    }
    void output(const std::string& name) { m_.mutable_graph()->add_output()->set_name(name); }
    ko::ImportedNet import(const ko::ImportOptions& o = {}) const {
        const std::string bytes = m_.SerializeAsString();
        return ko::import_model_from_memory(bytes.data(), bytes.size(), o, "model");
    }
    ::onnx::ModelProto& proto() { return m_; }

  private:
    static void value(::onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims) {
        v->set_name(name);
        auto* t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(::onnx::TensorProto::FLOAT);
        for (auto d : dims) {
            auto* dim = t->mutable_shape()->add_dim();
            if (d < 0) dim->set_dim_param("batch");  // a free extent
            else dim->set_dim_value(d);
        }
    }
    ::onnx::ModelProto m_;
};

void ints(::onnx::NodeProto& n, const std::string& name, std::vector<std::int64_t> v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
}
void integer(::onnx::NodeProto& n, const std::string& name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(v);
}

std::vector<float> random_values(std::mt19937_64& rng, std::size_t n) {
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

// Runs the imported net under both CPU schedules on an NCHW input, returning ONNX-layout outputs.
std::vector<std::vector<float>> run_both(const ko::ImportedNet& net, const ko::OnnxTensor& x) {
    std::vector<std::vector<float>> outs;
    for (const char* schedule : {"fused", "unfused"}) {
        kiln::codegen::JitOptions o{schedule};
        o.progress = nullptr;
        kiln::codegen::JitNet jit(net.spec, o);
        outs.push_back(ko::from_kiln(jit.run(ko::to_kiln(x, net.input), net.weights), net.output).floats);
    }
    return outs;
}

void check_near(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-5) {
    REQUIRE(got.size() == want.size());
    double scale = 1e-30, worst = 0;
    for (double w : want) scale = std::max(scale, std::fabs(w));
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]) / scale);
    CHECK(worst <= tol);
}

}  // namespace

// x -> Flatten -> Gemm(B transposed, C): ONNX flattens [C, H, W] with c slowest, kiln's Dense reads
// (y, x, c); a wrong permutation of the weight rows changes every output.
TEST_CASE("onnx import: Flatten then Gemm permutes the weight rows from NCHW to kiln's order") {
    auto rng = test::rng_for("onnx flatten gemm");
    const std::int64_t C = 3, H = 2, W = 4, U = 5, K = C * H * W;
    Model m({2, C, H, W});
    m.node("Flatten", {"x"}, "f");
    const auto b = random_values(rng, std::size_t(U * K)), c = random_values(rng, std::size_t(U));
    m.weights("B", {U, K}, b);
    m.weights("C", {U}, c);
    integer(m.node("Gemm", {"f", "B", "C"}, "y"), "transB", 1);
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 1);
    CHECK(std::holds_alternative<kiln::DenseAttrs>(net.spec.layers[0].attrs));
    ko::OnnxTensor x{"x", {2, C, H, W}, false, random_values(rng, std::size_t(2 * K)), {}};
    std::vector<double> want;
    for (std::int64_t n = 0; n < 2; ++n)
        for (std::int64_t u = 0; u < U; ++u) {
            double s = c[std::size_t(u)];
            for (std::int64_t k = 0; k < K; ++k) s += double(x.floats[std::size_t(n * K + k)]) * b[std::size_t(u * K + k)];
            want.push_back(s);
        }
    for (const auto& got : run_both(net, x)) check_near(got, want);
    CHECK(net.weight_sources.at("l1_dense.weights") == "B");
}

// Concat(Sigmoid(x), x, Relu(x)) along channels: branch order, an identity branch.
TEST_CASE("onnx import: branches from one tensor meeting at a Concat keep the Concat's input order") {
    auto rng = test::rng_for("onnx concat");
    const std::int64_t C = 2, H = 3, W = 3;
    Model m({1, C, H, W});
    m.node("Relu", {"x"}, "r");
    m.node("Sigmoid", {"x"}, "s");
    integer(m.node("Concat", {"s", "x", "r"}, "y"), "axis", 1);
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 1);
    const kiln::LayerSpec& concat = net.spec.layers[0];
    REQUIRE(concat.children.size() == 3);
    CHECK(concat.children[1].empty());
    CHECK(concat.out == kiln::Shape{H, W, 3 * C});
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * H * W)), {}};
    std::vector<double> want;
    for (double v : x.floats) want.push_back(1 / (1 + std::exp(-v)));
    for (double v : x.floats) want.push_back(v);
    for (double v : x.floats) want.push_back(std::max(v, 0.0));
    for (const auto& got : run_both(net, x)) check_near(got, want);
    const std::string header = ko::declaration(net, {});
    CHECK(header.find("kiln::Concat<") != std::string::npos);
    CHECK(header.find("kiln::Branch<>,") != std::string::npos);
}

// Add(Tanh(Conv(x)), x) then Relu: a Residual whose shortcut is the identity.
TEST_CASE("onnx import: an Add of a branch and its input becomes a Residual") {
    auto rng = test::rng_for("onnx residual");
    const std::int64_t C = 3, H = 4, W = 5;
    Model m({1, C, H, W});
    const auto w = random_values(rng, std::size_t(C * C)), bias = random_values(rng, std::size_t(C));
    m.weights("w", {C, C, 1, 1}, w);
    m.weights("b", {C}, bias);
    m.node("Conv", {"x", "w", "b"}, "c");
    m.node("Tanh", {"c"}, "t");
    m.node("Add", {"x", "t"}, "a");
    m.node("Relu", {"a"}, "y");
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 2);
    REQUIRE(std::holds_alternative<kiln::ResidualAttrs>(net.spec.layers[0].attrs));
    CHECK(net.spec.layers[0].children[0].size() == 2);  // the body: conv, tanh
    CHECK(net.spec.layers[0].children[1].empty());      // the shortcut: identity
    CHECK(net.spec.layers[0].children[0][0].name == "l1_b1_1_conv");
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * H * W)), {}};
    std::vector<double> want(x.floats.size());
    for (std::int64_t o = 0; o < C; ++o)
        for (std::int64_t p = 0; p < H * W; ++p) {
            double s = bias[std::size_t(o)];
            for (std::int64_t i = 0; i < C; ++i) s += double(w[std::size_t(o * C + i)]) * x.floats[std::size_t(i * H * W + p)];
            want[std::size_t(o * H * W + p)] = std::max(0.0, std::tanh(s) + x.floats[std::size_t(o * H * W + p)]);
        }
    for (const auto& got : run_both(net, x)) check_near(got, want);
}

void real(::onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::FLOAT);
    a->set_f(v);
}

// What torch 1.13 exports for EfficientNet's and MobileNetV3's blocks: SiLU as Sigmoid then Mul by
// the input, squeeze-excitation as GlobalAveragePool -> Conv -> Relu -> Conv -> HardSigmoid -> Mul
// by the block's input, HardSwish (opset 13) as HardSigmoid(1/6, 1/2) then Mul.
TEST_CASE("onnx import: Sigmoid * x is SiLU, HardSigmoid * x HardSwish, and squeeze-excitation's Mul a Gate") {
    auto rng = test::rng_for("onnx gate");
    const std::int64_t C = 4, R = 2, H = 3, W = 5, P = H * W;
    Model m({1, C, H, W});
    const auto w = random_values(rng, std::size_t(C * C)), b = random_values(rng, std::size_t(C));
    const auto w1 = random_values(rng, std::size_t(R * C)), b1 = random_values(rng, std::size_t(R));
    const auto w2 = random_values(rng, std::size_t(C * R)), b2 = random_values(rng, std::size_t(C));
    m.weights("w", {C, C, 1, 1}, w), m.weights("b", {C}, b);
    m.weights("w1", {R, C, 1, 1}, w1), m.weights("b1", {R}, b1);
    m.weights("w2", {C, R, 1, 1}, w2), m.weights("b2", {C}, b2);
    m.node("Conv", {"x", "w", "b"}, "c");
    m.node("Sigmoid", {"c"}, "c_sig");
    m.node("Mul", {"c", "c_sig"}, "s");  // SiLU
    m.node("GlobalAveragePool", {"s"}, "pooled");
    m.node("Conv", {"pooled", "w1", "b1"}, "squeezed");
    m.node("Relu", {"squeezed"}, "squeezed_relu");
    m.node("Conv", {"squeezed_relu", "w2", "b2"}, "excited");
    auto& gate = m.node("HardSigmoid", {"excited"}, "scale");
    real(gate, "alpha", 0.2f);  // ONNX's default alpha, not HardSwish's
    m.node("Mul", {"scale", "s"}, "gated", "se_mul");  // the scale first, as torchvision writes it
    auto& hs = m.node("HardSigmoid", {"gated"}, "gated_hs");
    real(hs, "alpha", 1.0f / 6), real(hs, "beta", 0.5f);
    m.node("Mul", {"gated", "gated_hs"}, "y");
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 4);
    const auto function = [&](std::size_t l) { return std::get<kiln::ActivationAttrs>(net.spec.layers[l].attrs).function; };
    CHECK(function(1) == kiln::ActivationFunction::silu);
    REQUIRE(std::holds_alternative<kiln::GateAttrs>(net.spec.layers[2].attrs));
    CHECK(net.spec.layers[2].children.at(0).size() == 5);  // pool, conv, relu, conv, hard sigmoid
    CHECK(net.spec.layers[2].children[0][1].name == "l3_b1_2_conv");
    CHECK(net.spec.layers[2].param_count == R * C + R + C * R + C);
    CHECK(function(3) == kiln::ActivationFunction::hard_swish);
    const std::string text = ko::declaration(net, {});
    CHECK(text.find("kiln::Silu,") != std::string::npos);
    CHECK(text.find("kiln::Gate<") != std::string::npos);
    CHECK(text.find("kiln::HardSigmoid<std::ratio<1, 5>, std::ratio<1, 2>>>") != std::string::npos);
    CHECK(text.find("kiln::HardSwish>;") != std::string::npos);

    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * P)), {}};
    for (float& v : x.floats) v *= 3;
    std::vector<double> s(std::size_t(C * P)), want(s.size());
    for (std::int64_t o = 0; o < C; ++o)
        for (std::int64_t p = 0; p < P; ++p) {
            double acc = b[std::size_t(o)];
            for (std::int64_t i = 0; i < C; ++i) acc += double(w[std::size_t(o * C + i)]) * x.floats[std::size_t(i * P + p)];
            s[std::size_t(o * P + p)] = acc / (1 + std::exp(-acc));
        }
    std::vector<double> mean(std::size_t(C), 0.0), hidden(std::size_t(R), 0.0), scale(std::size_t(C), 0.0);
    for (std::int64_t o = 0; o < C; ++o)
        for (std::int64_t p = 0; p < P; ++p) mean[std::size_t(o)] += s[std::size_t(o * P + p)] / double(P);
    for (std::int64_t r = 0; r < R; ++r) {
        double acc = b1[std::size_t(r)];
        for (std::int64_t i = 0; i < C; ++i) acc += double(w1[std::size_t(r * C + i)]) * mean[std::size_t(i)];
        hidden[std::size_t(r)] = std::max(acc, 0.0);
    }
    for (std::int64_t o = 0; o < C; ++o) {
        double acc = b2[std::size_t(o)];
        for (std::int64_t r = 0; r < R; ++r) acc += double(w2[std::size_t(o * R + r)]) * hidden[std::size_t(r)];
        scale[std::size_t(o)] = std::min(std::max(0.2 * acc + 0.5, 0.0), 1.0);
    }
    for (std::int64_t o = 0; o < C; ++o)
        for (std::int64_t p = 0; p < P; ++p) {
            const double g = s[std::size_t(o * P + p)] * scale[std::size_t(o)];
            want[std::size_t(o * P + p)] = g * std::min(std::max(g / 6 + 0.5, 0.0), 1.0);
        }
    for (const auto& got : run_both(net, x)) check_near(got, want);
}

// ShuffleNetV2's unit as torch 1.13 exports it: x.chunk(2, 1) as two Slices whose bounds come from
// Shape -> Gather -> Add -> Div -> Mul (folded at import), and the shuffle as Reshape to
// [1, 2, C / 2, H, W], Transpose (0, 2, 1, 3, 4), Reshape back.
TEST_CASE("onnx import: channel halves from shape arithmetic, Concat, and Reshape-Transpose-Reshape as a channel shuffle") {
    auto rng = test::rng_for("onnx shuffle");
    const std::int64_t C = 6, H = 3, W = 2, P = H * W, half = C / 2;
    Model m({1, C, H, W});
    const auto w = random_values(rng, std::size_t(half * half)), b = random_values(rng, std::size_t(half));
    m.weights("w", {half, half, 1, 1}, w), m.weights("b", {half}, b);
    const auto constant = [&](const std::string& name, std::vector<std::int64_t> v, std::vector<std::int64_t> dims) {
        auto* t = m.proto().mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(::onnx::TensorProto::INT64);
        for (auto d : dims) t->add_dims(d);
        for (auto x : v) t->add_int64_data(x);
    };
    constant("one", {1}, {1}), constant("zero", {0}, {1}), constant("two", {2}, {1}), constant("axis", {1}, {1});
    constant("split", {1, 2, half, H, W}, {5}), constant("merged", {1, -1, H, W}, {4});
    m.node("Relu", {"x"}, "r");
    m.node("Shape", {"r"}, "shape");
    integer(m.node("Gather", {"shape", "one"}, "channels"), "axis", 0);
    m.node("Add", {"channels", "one"}, "plus_one");
    m.node("Div", {"plus_one", "two"}, "halved");
    m.node("Mul", {"halved", "one"}, "middle");
    m.node("Mul", {"halved", "two"}, "end");
    m.node("Slice", {"r", "zero", "middle", "axis"}, "first_half");
    m.node("Slice", {"r", "middle", "end", "axis"}, "second_half");
    m.node("Conv", {"second_half", "w", "b"}, "c");
    m.node("Tanh", {"c"}, "t");
    integer(m.node("Concat", {"first_half", "t"}, "joined"), "axis", 1);
    m.node("Reshape", {"joined", "split"}, "grouped");
    ints(m.node("Transpose", {"grouped"}, "transposed"), "perm", {0, 2, 1, 3, 4});
    m.node("Reshape", {"transposed", "merged"}, "y", "shuffled");
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 3);  // relu, concat, shuffle
    REQUIRE(std::holds_alternative<kiln::ConcatAttrs>(net.spec.layers[1].attrs));
    const auto& first = net.spec.layers[1].children.at(0);
    REQUIRE(first.size() == 1);
    CHECK(std::get<kiln::ChannelSliceAttrs>(first[0].attrs).begin == 0);
    CHECK(std::get<kiln::ChannelSliceAttrs>(first[0].attrs).end == half);
    CHECK(std::get<kiln::ChannelShuffleAttrs>(net.spec.layers[2].attrs).groups == 2);
    const std::string text = ko::declaration(net, {});
    CHECK(text.find("kiln::ChannelSlice<3, 6>,") != std::string::npos);
    CHECK(text.find("kiln::ChannelShuffle<2>>;") != std::string::npos);

    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * P)), {}};
    std::vector<double> joined(std::size_t(C * P)), want(joined.size());
    for (std::int64_t k = 0; k < half; ++k)
        for (std::int64_t p = 0; p < P; ++p) joined[std::size_t(k * P + p)] = std::max(0.0f, x.floats[std::size_t(k * P + p)]);
    for (std::int64_t o = 0; o < half; ++o)
        for (std::int64_t p = 0; p < P; ++p) {
            double acc = b[std::size_t(o)];
            for (std::int64_t i = 0; i < half; ++i) acc += double(w[std::size_t(o * half + i)]) * std::max(0.0f, x.floats[std::size_t((half + i) * P + p)]);
            joined[std::size_t((half + o) * P + p)] = std::tanh(acc);
        }
    // [2, half] transposed to [half, 2]: output channel j * 2 + g is input channel g * half + j.
    for (std::int64_t g = 0; g < 2; ++g)
        for (std::int64_t j = 0; j < half; ++j)
            for (std::int64_t p = 0; p < P; ++p) want[std::size_t((j * 2 + g) * P + p)] = joined[std::size_t((g * half + j) * P + p)];
    for (const auto& got : run_both(net, x)) check_near(got, want);
}

// torch.split(x, [2, 3, 1], 1) as one Split node (opset 13: the sizes an input), its parts read in
// another order by the Concat; an opset-11 Split into equal halves (sizes as an attribute, left out
// here); a Split of which one part is read is one ChannelSlice.
TEST_CASE("onnx import: Split of the channels is one ChannelSlice per part, branches that meet at the Concat") {
    auto rng = test::rng_for("onnx split");
    const std::int64_t C = 6, H = 2, W = 3, P = H * W;
    const auto w = random_values(rng, std::size_t(2 * 3)), b = random_values(rng, 2);
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * P)), {}};
    const auto at = [&](std::int64_t c, std::int64_t p) { return double(x.floats[std::size_t(c * P + p)]); };

    Model m({1, C, H, W});
    m.weights("w", {2, 3, 1, 1}, w), m.weights("b", {2}, b);
    auto* sizes = m.proto().mutable_graph()->add_initializer();
    sizes->set_name("sizes"), sizes->set_data_type(::onnx::TensorProto::INT64), sizes->add_dims(3);
    for (std::int64_t v : {2, 3, 1}) sizes->add_int64_data(v);
    auto& split = m.node("Split", {"x", "sizes"}, "p0", "split_three");
    split.add_output("p1"), split.add_output("p2");
    integer(split, "axis", 1);
    m.node("Relu", {"p0"}, "r0");
    m.node("Conv", {"p1", "w", "b"}, "c1");
    integer(m.node("Concat", {"p2", "r0", "c1"}, "y"), "axis", 1);
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 1);
    const auto& parts = net.spec.layers[0].children;
    REQUIRE(parts.size() == 3);  // in the Concat's order: p2, p0, p1
    CHECK(std::get<kiln::ChannelSliceAttrs>(parts[0].at(0).attrs).begin == 5);
    CHECK(std::get<kiln::ChannelSliceAttrs>(parts[1].at(0).attrs).end == 2);
    CHECK(std::get<kiln::ChannelSliceAttrs>(parts[2].at(0).attrs).begin == 2);
    const std::string text = ko::declaration(net, {});
    CAPTURE(text);
    CHECK(text.find("kiln::ChannelSlice<2, 5>,                           // node \"split_three\" (Split), output 1") != std::string::npos);
    std::vector<double> want(std::size_t((1 + 2 + 2) * P));
    for (std::int64_t p = 0; p < P; ++p) {
        want[std::size_t(p)] = at(5, p);
        for (std::int64_t k = 0; k < 2; ++k) want[std::size_t((1 + k) * P + p)] = std::max(0.0, at(k, p));
        for (std::int64_t o = 0; o < 2; ++o) {
            double acc = b[std::size_t(o)];
            for (std::int64_t i = 0; i < 3; ++i) acc += double(w[std::size_t(o * 3 + i)]) * at(2 + i, p);
            want[std::size_t((3 + o) * P + p)] = acc;
        }
    }
    for (const auto& got : run_both(net, x)) check_near(got, want);

    // Opset 11, equal halves, the second half read alone.
    Model halves({1, C, H, W}, 11);
    auto& two = halves.node("Split", {"x"}, "first", "halves");
    two.add_output("second");
    integer(two, "axis", -3);
    halves.node("Sigmoid", {"second"}, "y");
    halves.output("y");
    const ko::ImportedNet half = halves.import();
    REQUIRE(half.spec.layers.size() == 2);
    CHECK(std::get<kiln::ChannelSliceAttrs>(half.spec.layers[0].attrs).begin == 3);
    CHECK(half.spec.layers[1].out.c == 3);
    std::vector<double> sig(std::size_t(3 * P));
    for (std::int64_t c = 0; c < 3; ++c)
        for (std::int64_t p = 0; p < P; ++p) sig[std::size_t(c * P + p)] = 1 / (1 + std::exp(-at(3 + c, p)));
    for (const auto& got : run_both(half, x)) check_near(got, sig);

    // Refused naming the node: sizes that do not add up, a spatial axis, parts that do not divide.
    const auto refused = [&](std::vector<std::int64_t> part_sizes, std::int64_t axis, int outputs, const char* says) {
        Model bad({1, C, H, W}, part_sizes.empty() ? 11 : 13);
        if (!part_sizes.empty()) {
            auto* t = bad.proto().mutable_graph()->add_initializer();
            t->set_name("sizes"), t->set_data_type(::onnx::TensorProto::INT64), t->add_dims(std::int64_t(part_sizes.size()));
            for (std::int64_t v : part_sizes) t->add_int64_data(v);
        }
        auto& n = bad.node("Split", part_sizes.empty() ? std::vector<std::string>{"x"} : std::vector<std::string>{"x", "sizes"}, "o0", "bad_split");
        for (int k = 1; k < outputs; ++k) n.add_output("o" + std::to_string(k));
        integer(n, "axis", axis);
        bad.node("Relu", {"o0"}, "y");
        bad.output("y");
        try {
            (void)bad.import();
            FAIL("imported a Split kiln cannot map: " << says);
        } catch (const kiln::Error& e) {
            const std::string message = e.what();
            CAPTURE(message);
            CHECK(message.find("\"bad_split\" (Split)") != std::string::npos);
            CHECK(message.find(says) != std::string::npos);
        }
    };
    refused({2, 3}, 1, 2, "add up to 5, not the input's 6 channels");
    refused({3, 3}, 2, 2, "kiln splits only channels");
    refused({}, 1, 4, "6 channels do not split into 4 equal parts");
    refused({7, -1}, 1, 2, "do not divide the input's 6 channels");
}

// F.gelu(x, approximate="tanh") and F.mish(x) as torch 1.13 exports them at opset 13: the nodes
// below, in its order, with its constants.
TEST_CASE("onnx import: GELU's tanh form and Mish, exported as element-wise nodes, are one layer each") {
    auto rng = test::rng_for("onnx gelu tanh mish");
    const std::int64_t C = 4, H = 3, W = 2, P = H * W;
    Model m({1, C, H, W});
    const auto scalar = [&](const std::string& name, float value) {
        auto* t = m.proto().mutable_graph()->add_initializer();
        t->set_name(name), t->set_data_type(::onnx::TensorProto::FLOAT), t->add_float_data(value);
    };
    scalar("cubic", 0.044715f), scalar("root", 0.7978845834732056f), scalar("one", 1.0f), scalar("half", 0.5f);
    m.node("Mul", {"x", "x"}, "square");
    m.node("Mul", {"x", "square"}, "cube");
    m.node("Mul", {"cubic", "cube"}, "cubic_term");
    m.node("Add", {"x", "cubic_term"}, "inner");
    m.node("Mul", {"root", "inner"}, "scaled");
    m.node("Tanh", {"scaled"}, "th");
    m.node("Add", {"one", "th"}, "plus");
    m.node("Mul", {"x", "plus"}, "product");
    m.node("Mul", {"half", "product"}, "g", "gelu_end");
    m.node("Softplus", {"g"}, "soft");
    m.node("Tanh", {"soft"}, "soft_tanh");
    m.node("Mul", {"g", "soft_tanh"}, "y", "mish_end");
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 2);
    CHECK(std::get<kiln::ActivationAttrs>(net.spec.layers[0].attrs).function == kiln::ActivationFunction::gelu_tanh);
    CHECK(std::get<kiln::ActivationAttrs>(net.spec.layers[1].attrs).function == kiln::ActivationFunction::mish);
    const std::string text = ko::declaration(net, {});
    CAPTURE(text);
    CHECK(text.find("kiln::GeluTanh,") != std::string::npos);
    CHECK(text.find("(Mul): Mish") != std::string::npos);

    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * P)), {}};
    for (float& value : x.floats) value *= 3;  // into both tails of the tanh
    std::vector<double> want(x.floats.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double v = x.floats[i];
        const double g = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        want[i] = g * std::tanh(std::log1p(std::exp(g)));
    }
    for (const auto& got : run_both(net, x)) check_near(got, want);

    // Five readers of one tensor that are no GELU: a Concat of five branches, imported as one.
    Model five({1, C, H, W});
    for (const char* b : {"a", "b", "c", "d", "e"}) five.node("Relu", {"x"}, b);
    integer(five.node("Concat", {"a", "b", "c", "d", "e"}, "y"), "axis", 1);
    five.output("y");
    const ko::ImportedNet joined = five.import();
    REQUIRE(joined.spec.layers.size() == 1);
    CHECK(joined.spec.layers[0].children.size() == 5);

    // Another constant is not GELU: the nodes stay nodes, and their fork is refused by name.
    auto& cubic = *m.proto().mutable_graph()->mutable_initializer(0);
    cubic.set_float_data(0, 0.05f);
    CHECK_THROWS_WITH_AS(m.import(), doctest::Contains("are branches from tensor 'x'"), kiln::Error);
}

// x.view(x.size(0), -1) before a Linear, as exported with a free batch (Shape -> Gather(0) ->
// Unsqueeze -> Concat with [-1]) and as an exporter folds it at batch 1 ([1, -1]); both flatten and
// run at batch 3. Arithmetic on the batch extent cannot be a constant and is refused.
TEST_CASE("onnx import: the batch read by Shape is kiln's free batch, and a flattening from it is a flattening") {
    auto rng = test::rng_for("onnx view batch");
    const std::int64_t C = 2, H = 2, W = 3, U = 4, F = C * H * W;
    const auto w = random_values(rng, std::size_t(U * F)), b = random_values(rng, std::size_t(U));
    const auto integers = [](Model& m, const std::string& name, std::vector<std::int64_t> v) {
        auto* t = m.proto().mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(::onnx::TensorProto::INT64);
        t->add_dims(std::int64_t(v.size()));
        for (auto x : v) t->add_int64_data(x);
    };
    Model free_batch({-1, C, H, W}), batch_one({1, C, H, W});
    for (Model* m : {&free_batch, &batch_one}) {
        m->weights("w", {U, F}, w), m->weights("b", {U}, b);
        integers(*m, "zero", {0}), integers(*m, "minus_one", {-1});
        m->node("Relu", {"x"}, "r");
    }
    free_batch.node("Shape", {"r"}, "shape");
    integer(free_batch.node("Gather", {"shape", "zero"}, "n"), "axis", 0);  // a 1-D index: [N]
    integer(free_batch.node("Concat", {"n", "minus_one"}, "target"), "axis", 0);
    integers(batch_one, "target", {1, -1});
    for (Model* m : {&free_batch, &batch_one}) {
        m->node("Reshape", {"r", "target"}, "flat");
        integer(m->node("Gemm", {"flat", "w", "b"}, "y"), "transB", 1);
        m->output("y");
    }
    ko::OnnxTensor x{"x", {3, C, H, W}, false, random_values(rng, std::size_t(3 * F)), {}};
    std::vector<double> want(std::size_t(3 * U));
    for (std::int64_t n = 0; n < 3; ++n)
        for (std::int64_t u = 0; u < U; ++u) {
            double acc = b[std::size_t(u)];
            for (std::int64_t f = 0; f < F; ++f) acc += double(w[std::size_t(u * F + f)]) * std::max(0.0f, x.floats[std::size_t(n * F + f)]);
            want[std::size_t(n * U + u)] = acc;
        }
    for (Model* m : {&free_batch, &batch_one}) {
        const ko::ImportedNet net = m->import();
        CHECK(net.spec.layers.size() == 2);  // relu, dense
        for (const auto& got : run_both(net, x)) check_near(got, want);
    }

    Model doubled({-1, C, H, W});
    integers(doubled, "zero", {0}), integers(doubled, "two", {2}), integers(doubled, "minus_one", {-1});
    doubled.node("Shape", {"x"}, "shape");
    integer(doubled.node("Gather", {"shape", "zero"}, "n"), "axis", 0);
    doubled.node("Mul", {"n", "two"}, "twice", "twice_the_batch");
    integer(doubled.node("Concat", {"twice", "minus_one"}, "target"), "axis", 0);
    doubled.node("Reshape", {"x", "target"}, "y");
    doubled.output("y");
    CHECK(test::error_of([&] { doubled.import(); }).find("node \"twice_the_batch\" (Mul): computes with the batch extent") != std::string::npos);
}

// ConvNeXt's layer norm as opset 17 writes it: one LayerNormalization on the channels-last tensor
// between two Transposes.
TEST_CASE("onnx import: LayerNormalization over the channels of a channels-last tensor is a LayerNorm") {
    auto rng = test::rng_for("onnx layer normalization");
    const std::int64_t C = 5, H = 2, W = 3, P = H * W;
    Model m({1, C, H, W}, 17);
    const auto gamma = random_values(rng, std::size_t(C)), beta = random_values(rng, std::size_t(C));
    m.weights("gamma", {C}, gamma), m.weights("beta", {C}, beta);
    ints(m.node("Transpose", {"x"}, "nhwc"), "perm", {0, 2, 3, 1});
    auto& ln = m.node("LayerNormalization", {"nhwc", "gamma", "beta"}, "normed", "ln");
    integer(ln, "axis", -1);
    real(ln, "epsilon", 1e-6f);
    ints(m.node("Transpose", {"normed"}, "y"), "perm", {0, 3, 1, 2});
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 1);
    CHECK(std::get<kiln::LayerNormAttrs>(net.spec.layers[0].attrs).epsilon_den == 1000000);
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * P)), {}};
    std::vector<double> want(x.floats.size());
    for (std::int64_t p = 0; p < P; ++p) {
        double mean = 0, var = 0;
        for (std::int64_t c = 0; c < C; ++c) mean += x.floats[std::size_t(c * P + p)] / double(C);
        for (std::int64_t c = 0; c < C; ++c) var += std::pow(x.floats[std::size_t(c * P + p)] - mean, 2) / double(C);
        for (std::int64_t c = 0; c < C; ++c)
            want[std::size_t(c * P + p)] = (x.floats[std::size_t(c * P + p)] - mean) / std::sqrt(var + 1e-6) * gamma[std::size_t(c)] + beta[std::size_t(c)];
    }
    for (const auto& got : run_both(net, x)) check_near(got, want, 1e-5);
    Model nchw({1, C, H, W}, 17);  // over C, H and W at once: not kiln's LayerNorm
    nchw.weights("gamma", {C, H, W}, std::vector<float>(std::size_t(C * P), 1.0f));
    integer(nchw.node("LayerNormalization", {"x", "gamma"}, "y", "ln_chw"), "axis", 1);
    nchw.output("y");
    CHECK(test::error_of([&] { nchw.import(); }).find("node \"ln_chw\" (LayerNormalization): normalizes [1, 5, 2, 3] from axis 1") !=
          std::string::npos);
}

TEST_CASE("onnx import: a Mul that kiln cannot join is refused naming it") {
    Model m({1, 2, 3, 3});
    m.node("Relu", {"x"}, "a");
    m.node("Tanh", {"x"}, "t");
    m.node("Mul", {"a", "t"}, "y", "two_branches");
    m.output("y");
    CHECK(test::error_of([&] { m.import(); }).find("node \"two_branches\" (Mul): multiplies two tensors computed from tensor 'x'") !=
          std::string::npos);
    Model pooled({1, 2, 3, 3});
    pooled.node("GlobalMaxPool", {"x"}, "p");
    pooled.node("Flatten", {"p"}, "f");
    pooled.node("Mul", {"x", "f"}, "y", "flat_scale");
    pooled.output("y");
    const std::string flat = test::error_of([&] { pooled.import(); });
    CAPTURE(flat);
    CHECK(flat.find("node \"flat_scale\" (Mul): multiplies [1, 2, 3, 3] by [1, 2]") != std::string::npos);
}

// Add(projection, body), RegNet's order: the longer branch becomes the body, so the two branches swap
// places and names, each keeping its own weights (the swap once overwrote one branch's weights
// with the other's name and the import failed on a bare map::at).
TEST_CASE("onnx import: an Add that reads the shortcut first swaps the branches with their weights") {
    auto rng = test::rng_for("onnx residual swapped");
    const std::int64_t C = 3, H = 4, W = 2;
    Model m({1, C, H, W});
    const auto wp = random_values(rng, std::size_t(C * C)), bp = random_values(rng, std::size_t(C));
    const auto w1 = random_values(rng, std::size_t(C * C)), b1 = random_values(rng, std::size_t(C));
    const auto w2 = random_values(rng, std::size_t(C * C)), b2 = random_values(rng, std::size_t(C));
    for (const auto& [name, v] : {std::pair{"wp", wp}, {"w1", w1}, {"w2", w2}}) m.weights(name, {C, C, 1, 1}, v);
    for (const auto& [name, v] : {std::pair{"bp", bp}, {"b1", b1}, {"b2", b2}}) m.weights(name, {C}, v);
    m.node("Conv", {"x", "wp", "bp"}, "p");
    m.node("Conv", {"x", "w1", "b1"}, "c1");
    m.node("Relu", {"c1"}, "r1");
    m.node("Conv", {"r1", "w2", "b2"}, "c2");
    m.node("Add", {"p", "c2"}, "y");
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 1);
    const kiln::LayerSpec& residual = net.spec.layers[0];
    REQUIRE(std::holds_alternative<kiln::ResidualAttrs>(residual.attrs));
    REQUIRE(residual.children[0].size() == 3);  // the body: conv, relu, conv
    REQUIRE(residual.children[1].size() == 1);  // the shortcut: the projection
    CHECK(residual.children[1][0].name == "l1_b2_1_conv");
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * H * W)), {}};
    const auto conv1x1 = [&](const std::vector<float>& w, const std::vector<float>& b, const std::vector<double>& in) {
        std::vector<double> out(in.size());
        for (std::int64_t o = 0; o < C; ++o)
            for (std::int64_t q = 0; q < H * W; ++q) {
                double s = b[std::size_t(o)];
                for (std::int64_t i = 0; i < C; ++i) s += double(w[std::size_t(o * C + i)]) * in[std::size_t(i * H * W + q)];
                out[std::size_t(o * H * W + q)] = s;
            }
        return out;
    };
    const std::vector<double> xin(x.floats.begin(), x.floats.end());
    std::vector<double> hidden = conv1x1(w1, b1, xin);
    for (double& v : hidden) v = std::max(v, 0.0);
    const std::vector<double> body = conv1x1(w2, b2, hidden), projection = conv1x1(wp, bp, xin);
    std::vector<double> want(body.size());
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = body[i] + projection[i];
    for (const auto& got : run_both(net, x)) check_near(got, want);
}

// MatMul + Add as one Dense with bias; Conv + BatchNormalization folded or kept, same outputs.
TEST_CASE("onnx import: MatMul plus a bias Add is one Dense, and batch norm kept or folded computes the same") {
    auto rng = test::rng_for("onnx matmul bn");
    const std::int64_t C = 2, H = 3, W = 3, F = 4;
    Model m({2, C, H, W});
    m.weights("w", {F, C, 3, 3}, random_values(rng, std::size_t(F * C * 9)));
    ints(m.node("Conv", {"x", "w"}, "c"), "pads", {1, 1, 1, 1});
    std::vector<float> var = random_values(rng, std::size_t(F));
    for (float& v : var) v = std::fabs(v) + 0.5f;
    m.weights("gamma", {F}, random_values(rng, std::size_t(F)));
    m.weights("beta", {F}, random_values(rng, std::size_t(F)));
    m.weights("mean", {F}, random_values(rng, std::size_t(F)));
    m.weights("var", {F}, var);
    m.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, "n");
    m.node("GlobalAveragePool", {"n"}, "g");
    m.node("Flatten", {"g"}, "f");
    m.weights("mw", {F, 3}, random_values(rng, std::size_t(F * 3)));
    m.weights("mb", {3}, random_values(rng, 3));
    m.node("MatMul", {"f", "mw"}, "mm");
    m.node("Add", {"mm", "mb"}, "y");
    m.output("y");
    const ko::ImportedNet kept = m.import();
    ko::ImportOptions fold;
    fold.fold_batch_norm = true;
    const ko::ImportedNet folded = m.import(fold);
    CHECK(kept.spec.layers.size() == 4);    // conv, batch norm, global average pool, dense
    CHECK(folded.spec.layers.size() == 3);  // conv (folded), global average pool, dense
    const auto& dense = std::get<kiln::DenseAttrs>(kept.spec.layers.back().attrs);
    CHECK(dense.bias);
    CHECK(kept.origins.at("4").nodes.find("MatMul") != std::string::npos);
    ko::OnnxTensor x{"x", {2, C, H, W}, false, random_values(rng, std::size_t(2 * C * H * W)), {}};
    const auto a = run_both(kept, x), b = run_both(folded, x);
    std::vector<double> want(a[0].begin(), a[0].end());
    check_near(b[0], want, 1e-5);
    check_near(a[1], want, 1e-5);
}

// DenseNet's pattern: each Concat joins every earlier feature map again. Concat(x, s, t) beside
// Concat(x, s) is rewritten to reuse it, so the blocks nest; a one-input Concat is the identity; a
// weight shared through an Identity node (PyTorch's exports) is folded.
TEST_CASE("onnx import: DenseNet's repeated Concats nest, and an Identity of an initializer is folded") {
    auto rng = test::rng_for("onnx dense concat");
    const std::int64_t C = 2, H = 2, W = 3, P = H * W;
    Model m({1, C, H, W});
    m.node("Concat", {"x"}, "c0");
    integer(*m.proto().mutable_graph()->mutable_node(0), "axis", 1);
    m.node("Sigmoid", {"c0"}, "s");
    integer(m.node("Concat", {"x", "s"}, "c1"), "axis", 1);
    const auto w = random_values(rng, std::size_t(C * 2 * C));
    m.weights("w", {C, 2 * C, 1, 1}, w);
    m.node("Identity", {"w"}, "w_shared");
    m.node("Conv", {"c1", "w_shared"}, "t0");
    m.node("Tanh", {"t0"}, "t");
    integer(m.node("Concat", {"x", "s", "t"}, "y"), "axis", 1);
    m.output("y");
    const ko::ImportedNet net = m.import();
    REQUIRE(net.spec.layers.size() == 2);  // Concat<Branch<>, Branch<Sigmoid>>, then Concat<Branch<>, Branch<Conv, Tanh>>
    CHECK(net.spec.layers[0].children.size() == 2);
    CHECK(net.spec.layers[1].children.size() == 2);
    CHECK(net.spec.output == kiln::Shape{H, W, 3 * C});
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * P)), {}};
    std::vector<double> want(std::size_t(3 * C * P));
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t p = 0; p < P; ++p) {
            const double v = x.floats[std::size_t(c * P + p)];
            want[std::size_t(c * P + p)] = v;
            want[std::size_t((C + c) * P + p)] = 1 / (1 + std::exp(-v));
        }
    for (std::int64_t o = 0; o < C; ++o)
        for (std::int64_t p = 0; p < P; ++p) {
            double sum = 0;
            for (std::int64_t i = 0; i < 2 * C; ++i) sum += double(w[std::size_t(o * 2 * C + i)]) * want[std::size_t(i * P + p)];
            want[std::size_t((2 * C + o) * P + p)] = std::tanh(sum);
        }
    for (const auto& got : run_both(net, x)) check_near(got, want);
}

TEST_CASE("onnx import: ReduceMean over H and W is a global average pool (MnasNet's head)") {
    auto rng = test::rng_for("onnx reduce mean");
    const std::int64_t C = 3, H = 4, W = 5;
    Model m({2, C, H, W});
    auto& mean = m.node("ReduceMean", {"x"}, "y");
    ints(mean, "axes", {-1, 2});
    integer(mean, "keepdims", 0);
    m.output("y");
    const ko::ImportedNet net = m.import();
    CHECK(net.output.rank == 2);
    ko::OnnxTensor x{"x", {2, C, H, W}, false, random_values(rng, std::size_t(2 * C * H * W)), {}};
    std::vector<double> want;
    for (std::int64_t nc = 0; nc < 2 * C; ++nc) {
        double sum = 0;
        for (std::int64_t p = 0; p < H * W; ++p) sum += x.floats[std::size_t(nc * H * W + p)];
        want.push_back(sum / double(H * W));
    }
    for (const auto& got : run_both(net, x)) check_near(got, want);
    Model channels({2, C, H, W});
    ints(channels.node("ReduceMean", {"x"}, "y", "over_channels"), "axes", {1});
    channels.output("y");
    CHECK(test::error_of([&] { channels.import(); }).find("node \"over_channels\" (ReduceMean): axes [1] are not supported") !=
          std::string::npos);
}

// Keras's ZeroPadding2D before a conv: the Pad's zeros become the conv's own (asymmetric) padding.
TEST_CASE("onnx import: a Pad of zeros before a Conv becomes the conv's padding; before a MaxPool it is refused") {
    auto rng = test::rng_for("onnx pad conv");
    const std::int64_t C = 2, H = 4, W = 5, F = 3, K = 3;
    const std::int64_t top = 1, left = 2, bottom = 0, right = 1;
    auto padded_model = [&](const std::string& reader) {
        auto m = std::make_unique<Model>(std::vector<std::int64_t>{1, C, H, W});
        m->weights("pads", {8}, {});
        auto* pads = m->proto().mutable_graph()->mutable_initializer(0);
        pads->set_data_type(::onnx::TensorProto::INT64);
        for (std::int64_t v : {0L, 0L, top, left, 0L, 0L, bottom, right}) pads->add_int64_data(v);
        m->node("Pad", {"x", "pads"}, "p", "zero_pad");
        if (reader == "Conv") {
            m->weights("w", {F, C, K, K}, random_values(rng, std::size_t(F * C * K * K)));
            m->node("Conv", {"p", "w"}, "y", "conv");
        } else {
            ints(m->node("MaxPool", {"p"}, "y", "pool"), "kernel_shape", {2, 2});
        }
        m->output("y");
        return m;
    };
    const auto m = padded_model("Conv");
    const ko::ImportedNet net = m->import();
    REQUIRE(net.spec.layers.size() == 1);
    const auto& conv = std::get<kiln::ConvAttrs>(net.spec.layers[0].attrs);
    CHECK(conv.rows(net.spec.input).begin == top);
    CHECK(conv.cols(net.spec.input).end == right);
    const auto& w_init = m->proto().graph().initializer(1);  // "w", after "pads"
    const std::vector<float> w(w_init.float_data().begin(), w_init.float_data().end());
    ko::OnnxTensor x{"x", {1, C, H, W}, false, random_values(rng, std::size_t(C * H * W)), {}};
    const std::int64_t OH = H + top + bottom - K + 1, OW = W + left + right - K + 1;
    std::vector<double> want(std::size_t(F * OH * OW));
    for (std::int64_t f = 0; f < F; ++f)
        for (std::int64_t oy = 0; oy < OH; ++oy)
            for (std::int64_t ox = 0; ox < OW; ++ox) {
                double sum = 0;
                for (std::int64_t c = 0; c < C; ++c)
                    for (std::int64_t ky = 0; ky < K; ++ky)
                        for (std::int64_t kx = 0; kx < K; ++kx) {
                            const std::int64_t y = oy + ky - top, xx = ox + kx - left;
                            if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
                            sum += double(w[std::size_t(((f * C + c) * K + ky) * K + kx)]) * x.floats[std::size_t((c * H + y) * W + xx)];
                        }
                want[std::size_t((f * OH + oy) * OW + ox)] = sum;
            }
    for (const auto& got : run_both(net, x)) check_near(got, want);
    CHECK(net.origins.at("1").nodes.find("zero_pad") != std::string::npos);
    const auto pooled = padded_model("MaxPool");
    CHECK(test::error_of([&] { pooled->import(); }).find("node \"zero_pad\" (Pad): a Pad of zeros is supported only when one Conv") !=
          std::string::npos);
}

TEST_CASE("onnx import: what kiln cannot map is refused naming the node, the operator and why") {
    auto refused = [](Model& m) { return test::error_of([&] { m.import(); }); };
    {
        Model m({1, 2, 4, 4});
        m.node("Abs", {"x"}, "y", "my_abs");
        m.output("y");
        CHECK(refused(m).find("node \"my_abs\" (Abs): operator Abs is not supported") != std::string::npos);
    }
    {
        Model m({1, 3, 4, 4});
        m.weights("w", {4, 1, 3, 3}, std::vector<float>(36, 1));
        integer(m.node("Conv", {"x", "w"}, "y", "Conv_17"), "group", 3);
        m.output("y");
        CHECK(refused(m).find("node \"Conv_17\" (Conv): layer 1 (conv): input 4x4x3: 3 input channels and 4 filters must both be "
                              "multiples of the 3 groups") != std::string::npos);
    }
    {
        Model m({1, 2, 4, 4});
        auto& pool = m.node("MaxPool", {"x"}, "y", "pool");
        integer(pool, "storage_order", 1);
        ints(pool, "kernel_shape", {2, 2});
        m.output("y");
        CHECK(refused(m).find("node \"pool\" (MaxPool): storage_order = 1 is not supported") != std::string::npos);
    }
    {
        Model m({1, 2, 4, 4});
        m.node("Conv", {"x", "missing"}, "y", "conv");
        m.output("y");
        CHECK(refused(m).find("reads 'missing', which no earlier node, input or initializer defines") != std::string::npos);
    }
    {
        Model m({1, 2, 4, 4});  // a cycle: each node reads the other's output
        m.node("Relu", {"b"}, "a", "first");
        m.node("Relu", {"a"}, "b", "second");
        m.output("b");
        CHECK(refused(m).find("reads 'b', which no earlier node") != std::string::npos);
    }
    {
        Model m({1, 2, 4, 4});
        m.node("Relu", {"x"}, "a");
        m.node("Sigmoid", {"x"}, "b");
        m.node("Sub", {"a", "b"}, "y", "difference");
        m.output("y");
        CHECK(refused(m).find("node \"difference\" (Sub): the branches from tensor 'x' meet here") != std::string::npos);
    }
    {
        Model m({1, 2, 4, 4});  // channels-last work kiln does not map
        ints(m.node("Transpose", {"x"}, "t", "to_nhwc"), "perm", {0, 2, 3, 1});
        m.node("MaxPool", {"t"}, "p", "pool_nhwc");
        m.output("p");
        CHECK(refused(m).find("node \"pool_nhwc\" (MaxPool): operator MaxPool on a channels-last tensor [N, H, W, C] is not supported") !=
              std::string::npos);
        Model w({1, 2, 4, 4});
        ints(w.node("Transpose", {"x"}, "t", "swap_hw"), "perm", {0, 1, 3, 2});
        w.output("t");
        CHECK(refused(w).find("node \"swap_hw\" (Transpose): perm [0, 1, 3, 2] of [1, 2, 4, 4] is not supported") != std::string::npos);
    }
    const std::string junk = "this is not a protobuf";
    CHECK(test::error_of([&] { ko::import_model_from_memory(junk.data(), junk.size(), {}, "junk"); }).find("junk is not an ONNX model") !=
          std::string::npos);
    CHECK(test::error_of([] { ko::import_model("/nonexistent.onnx"); }).find("cannot read ONNX model /nonexistent.onnx") != std::string::npos);
}
