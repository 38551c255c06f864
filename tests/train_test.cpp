// Training (codegen/train.hpp, optimizer.hpp): gradients of the softmax cross-entropy for every
// trainable layer kind against central finite differences of the plain-loop reference in double
// precision, and every entry against the plain-loop backward reference (reference/backward.hpp);
// the optimizers against their formulas; a short run that learns a synthetic task and
// is bitwise reproducible; clear errors for what cannot be trained.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "kiln/codegen/checkpoint.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/train.hpp"
#include "reference/backward.hpp"
#include "reference/compare.hpp"
#include "reference/reference_net.hpp"
#include "support.hpp"

using namespace kiln;
using codegen::LearningRate;
using codegen::Optimizer;
using codegen::TrainNet;

namespace {

// The reference's mean cross-entropy, in double: -sum_k target(k) log p(k) with the target
// (1 - label_smoothing) at the label plus label_smoothing / classes everywhere; the net in its
// training form (dropout's mask for `dropout_seed`, batch norm on batch statistics).
double reference_loss(const NetSpec& spec, const Weights& w, const Tensor& images, const std::vector<int>& labels,
                      std::uint32_t dropout_seed, double label_smoothing = 0) {
    ref::Mode training;
    training.training = true;
    training.dropout_seed = dropout_seed;
    const ref::Tensor p = ref::run_net(spec, w, ref::from_kiln(images), training);
    const bool log_output = std::get<SoftmaxAttrs>(spec.layers.back().attrs).log;  // LogSoftmax: p holds log p
    double loss = 0;
    for (std::size_t b = 0; b < labels.size(); ++b)
        for (long k = 0; k < p.c; ++k) {
            const double log_p = log_output ? p.at(long(b), 0, 0, k) : std::log(p.at(long(b), 0, 0, k));
            loss -= ((k == labels[b] ? 1 - label_smoothing : 0) + label_smoothing / double(p.c)) * log_p;
        }
    return loss / double(labels.size());
}

// kiln's gradient of every learned tensor against central differences of the reference loss at up
// to `samples` random entries per tensor. Where the one-sided differences disagree (a ReLU or max
// pool kink inside the step), the central difference is no reference and the entry is skipped;
// at most a quarter may be.
template <class Net>
void check_gradients(std::mt19937_64& rng, int batch, const std::string& schedule = "unfused", int samples = 12,
                     float label_smoothing = 0) {
    codegen::TrainOptions options{Optimizer::sgd(LearningRate::constant(0.1f)), batch};
    options.schedule = schedule;
    options.label_smoothing = label_smoothing;
    options.seed = rng();
    TrainNet trainer(describe<Net>(), options);
    const NetSpec& spec = trainer.spec();  // the training form: batch norm's gamma and beta
    const std::uint32_t mask_seed = trainer.dropout_seed(0);
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    Tensor images(batch, spec.input);
    test::fill_uniform(images, rng);
    std::vector<int> labels(static_cast<std::size_t>(batch));
    for (auto& l : labels) l = int(rng() % std::uint64_t(spec.output.c));

    Weights grads;
    const float loss = trainer.gradients(images, labels, w, grads);
    CHECK(loss == doctest::Approx(reference_loss(spec, w, images, labels, mask_seed, label_smoothing)).epsilon(1e-4));
    int checked = 0, skipped = 0;
    // Float noise: a gradient that is zero in exact arithmetic (a bias before batch norm) comes out
    // at about float epsilon times the net's gradients.
    double noise = 1e-7;
    for (const auto& p : grads.specs())
        for (float g : grads[p.name]) noise = std::max(noise, 1e-5 * std::abs(double(g)));
    for (const auto& p : all_params(spec)) {
        if (!p.learned) continue;
        auto& values = w[p.name];
        struct Entry { std::size_t i; double fd, forward, backward, kiln; };
        std::vector<Entry> entries;
        double scale = 0;
        // Distinct entries: a one-value tensor (a 1x1 conv's weight) is checked once, so a kink at
        // that entry counts once against the quota, not `samples` times.
        std::vector<std::size_t> picks(values.size());
        for (std::size_t k = 0; k < picks.size(); ++k) picks[k] = k;
        std::shuffle(picks.begin(), picks.end(), rng);
        picks.resize(std::min(picks.size(), std::size_t(samples)));
        for (const std::size_t i : picks) {
            const float original = values[i];
            const double h = 1e-4 * std::max(1.0, std::abs(double(original)));
            values[i] = float(original + h);
            const double up = values[i] - double(original);  // the step the float could take
            const double l_up = reference_loss(spec, w, images, labels, mask_seed, label_smoothing);
            values[i] = float(original - h);
            const double down = double(original) - values[i];
            const double l_down = reference_loss(spec, w, images, labels, mask_seed, label_smoothing);
            values[i] = original;
            const double l_mid = reference_loss(spec, w, images, labels, mask_seed, label_smoothing);
            const double fd = (l_up - l_down) / (up + down);
            entries.push_back({i, fd, (l_up - l_mid) / up, (l_mid - l_down) / down, double(grads[p.name][i])});
            scale = std::max(scale, std::abs(fd));
        }
        for (const auto& e : entries) {
            const double tolerance = 1e-2 * std::abs(e.fd) + 1e-3 * scale + noise;
            if (std::abs(e.forward - e.backward) > tolerance) {  // a kink inside the step
                ++skipped;
                continue;
            }
            CAPTURE(p.name);
            CAPTURE(e.i);
            CAPTURE(e.fd);
            CAPTURE(e.kiln);
            CHECK(std::abs(e.kiln - e.fd) <= tolerance);
            ++checked;
        }
    }
    CAPTURE(checked);
    CAPTURE(skipped);
    CHECK(skipped * 4 <= checked + skipped);

    // Every entry against the plain-loop backward reference: a wrong index or a lost padding tap
    // moves some entry by far more than float rounding, 1e-4 of the tensor's largest gradient.
    ref::Mode training;
    training.dropout_seed = mask_seed;
    const ref::Gradients want = ref::gradients(spec, w, ref::from_kiln(images), labels, training, label_smoothing);
    for (const auto& p : all_params(spec)) {
        if (!p.learned) continue;
        CAPTURE(p.name);
        REQUIRE(want.count(p.name) == 1);
        const std::vector<double>& r = want.at(p.name);
        const std::vector<float>& g = grads[p.name];
        REQUIRE(g.size() == r.size());
        double largest = 0, err = 0;
        std::size_t worst = 0;
        for (std::size_t i = 0; i < r.size(); ++i) {
            largest = std::max(largest, std::abs(r[i]));
            if (std::abs(double(g[i]) - r[i]) > err) err = std::abs(double(g[i]) - r[i]), worst = i;
        }
        CAPTURE(worst);
        CAPTURE(r[worst]);
        CAPTURE(g[worst]);
        CHECK(err <= 1e-4 * largest + noise);
    }
}

}  // namespace

TEST_CASE("training gradients: conv (same padding) + ReLU + max pool + dense against finite differences") {
    auto rng = test::rng_for("grad conv relu maxpool");
    check_gradients<Net<Input<6, 7, 2>, Conv<3, Kernel<3>, Same>, Relu, MaxPool<Window<2>>, Dense<4>, Softmax>>(rng, 3);
}

// `fused` computes a pool's gather inside the ReLU's adjoint, and dropout's inside the next ReLU's.
TEST_CASE("training gradients under fused: a pool's gather inside the ReLU adjoint") {
    auto rng = test::rng_for("grad fused");
    check_gradients<Net<Input<6, 7, 2>, Conv<3, Kernel<3>, Same>, Relu, MaxPool<Window<2>>, Dense<4>, Softmax>>(rng, 3, "fused");
}

TEST_CASE("training gradients under fused: overlapping max pools") {
    auto rng = test::rng_for("grad fused overlapping");
    check_gradients<Net<Input<9, 8, 2>, Conv<3, Kernel<3>, Same>, MaxPool<Window<3>, Stride<2>, Same>, Conv<4, Kernel<2>>, Relu,
                        MaxPool<Window<2>, Stride<1>>, Dense<3>, Softmax>>(rng, 3, "fused");
}

TEST_CASE("training gradients under fused: batch norm, and dropout's mask inside the ReLU adjoint") {
    auto rng = test::rng_for("grad fused batch norm");
    check_gradients<Net<Input<5, 6, 2>, Conv<4, Kernel<3>, Same>, BatchNorm, Relu, MaxPool<Window<2>>, Dense<6>, BatchNorm, Relu,
                        Dropout<std::ratio<1, 2>>, Dense<3>, Softmax>>(rng, 4, "fused");
}

TEST_CASE("training gradients under every autoscheduler of the autodiff pipeline (Mullapudi2016, Adams2019, Li2018)") {
    auto rng = test::rng_for("grad schedules");
    using Small = Net<Input<6, 5, 2>, Conv<3, Kernel<3>, Same>, Tanh, AvgPool<Window<2>>, Dense<3>, Softmax>;
    for (const std::string schedule : {"auto-mullapudi2016", "auto-adams2019", "auto-li2018"}) {
        CAPTURE(schedule);
        check_gradients<Small>(rng, 3, schedule);
    }
}

TEST_CASE("training gradients with label smoothing, under kiln's backward pass (unfused, fused) and autodiff") {
    auto rng = test::rng_for("grad label smoothing");
    using Small = Net<Input<6, 5, 2>, Conv<3, Kernel<3>, Same>, Relu, MaxPool<Window<2>>, Dense<5>, Softmax>;
    for (const std::string schedule : {"unfused", "fused", "auto-mullapudi2016"}) {
        CAPTURE(schedule);
        check_gradients<Small>(rng, 3, schedule, 12, 0.2f);
    }
}

TEST_CASE("training gradients: strided asymmetric conv, tanh, average pools counting padding or not") {
    auto rng = test::rng_for("grad strided tanh avgpool");
    check_gradients<Net<Input<7, 6, 3>, Conv<4, Kernel<3, 2>, Stride<2, 1>, PadSides<1, 0, 1, 1>>, Tanh,
                        AvgPool<Window<2>, Stride<1>, Same>, Conv<3, Kernel<2>>, Sigmoid, AvgPool<Window<2>, Same, CountPadding>,
                        Dense<3>, Softmax>>(rng, 2);
}

TEST_CASE("training gradients: dilated and flipped (true) convolutions, full padding, leaky ReLU, global average pool") {
    auto rng = test::rng_for("grad dilated flipped");
    check_gradients<Net<Input<6, 6, 2>, Conv<3, Kernel<2>, Dilation<2>, Full, TrueConvolution>, LeakyRelu<std::ratio<1, 10>>,
                        Conv<2, Kernel<3>, NoBias>, GlobalAvgPool, Dense<3>, Softmax>>(rng, 2);
}

TEST_CASE("training gradients: max pools with overlapping windows, padding and a ragged edge") {
    auto rng = test::rng_for("grad overlapping max pool");
    check_gradients<Net<Input<9, 8, 2>, Conv<3, Kernel<3>, Same>, MaxPool<Window<3>, Stride<2>, Same>, Conv<4, Kernel<2>>, Relu,
                        MaxPool<Window<2>, Stride<1>>, Dense<3>, Softmax>>(rng, 3);
}

TEST_CASE("training gradients: depthwise (multiplier 1 and 2) and grouped convolutions") {
    auto rng = test::rng_for("grad grouped");
    check_gradients<Net<Input<6, 6, 4>, DepthwiseConv<4, Kernel<3>, Same>, Relu, Conv<8, Kernel<3>, Groups<4>, Stride<2>>, Tanh,
                        Conv<6, Kernel<1>, Groups<2>, NoBias>, Dense<3>, Softmax>>(rng, 2);
}

TEST_CASE("training gradients: clip, global max pool, and a net ending in LogSoftmax") {
    auto rng = test::rng_for("grad clip gmp logsoftmax");
    check_gradients<Net<Input<5, 5, 3>, Conv<4, Kernel<3>, Same>, Clip<std::ratio<-1, 10>, std::ratio<1, 10>>, Conv<5, Kernel<2>>,
                        GlobalMaxPool, Dense<3>, LogSoftmax>>(rng, 2);
}
TEST_CASE("training gradients: SiLU, hard sigmoid, hard swish, GELU (both forms) and Mish") {
    auto rng = test::rng_for("grad modern activations");
    // Chained: the weights' gradients pass through every activation's derivative.
    check_gradients<Net<Input<4, 4, 3>, Conv<4, Kernel<3>, Same>, Silu, Conv<4, Kernel<1>>, HardSwish,
                        HardSigmoid<std::ratio<1, 5>, std::ratio<2, 5>>, Gelu, GeluTanh, Mish, Dense<3>, Softmax>>(rng, 2);
}
TEST_CASE("training gradients: squeeze-excitation and a per-value gate, under fused") {
    auto rng = test::rng_for("grad gate");
    using Gated = Net<Input<5, 4, 4>, Conv<6, Kernel<3>, Same>, Silu, SqueezeExcite<6, 2, Relu, HardSigmoid<>>,
                      Gate<Branch<Conv<6, Kernel<1>>, Sigmoid>>, GlobalAvgPool, Dense<3>, Softmax>;
    check_gradients<Gated>(rng, 2, "fused");
}
TEST_CASE("training gradients: layer norm over channels (after a conv and after a dense layer) and a channel scale") {
    auto rng = test::rng_for("grad layer norm");
    check_gradients<Net<Input<4, 5, 3>, Conv<4, Kernel<3>, Same>, LayerNorm<>, Silu, ChannelScale, Dense<6>, LayerNorm<std::ratio<1, 1000>>,
                        Tanh, Dense<3>, Softmax>>(rng, 2);
}

TEST_CASE("training gradients: channel slices and shuffles (ShuffleNetV2's unit)") {
    auto rng = test::rng_for("grad shuffle");
    using Shuffled = Net<Input<4, 4, 4>, Conv<6, Kernel<3>, Same>, Tanh,
                         Concat<Branch<ChannelSlice<0, 3>>, Branch<ChannelSlice<3, 6>, Conv<3, Kernel<1>>, Tanh>>, ChannelShuffle<2>,
                         ChannelSlice<1, 5>, Dense<3>, Softmax>;
    check_gradients<Shuffled>(rng, 2, "fused");  // fused reads through the slices and shuffle
}
TEST_CASE("training gradients: pools in ceil mode and a dilated max pool") {
    auto rng = test::rng_for("grad ceil dilated pools");
    check_gradients<Net<Input<7, 7, 2>, Conv<3, Kernel<3>, Same>, Relu, MaxPool<Window<3>, Stride<2>, CeilMode>,
                        AvgPool<Window<2>, Stride<2>, Pad<1>, CountPadding, CeilMode>, Dense<3>, Softmax>>(rng, 2);
    check_gradients<Net<Input<7, 7, 2>, Conv<3, Kernel<3>, Same>, Tanh, MaxPool<Window<2>, Stride<1>, Dilation<2>>,
                        AvgPool<Window<2>, Stride<2>, CeilMode>, Dense<3>, Softmax>>(rng, 2);
}
TEST_CASE("training gradients: one-channel layers (nothing to vectorize across)") {
    auto rng = test::rng_for("grad one channel");
    check_gradients<Net<Input<5, 5, 1>, Conv<1, Kernel<3>, Same>, Relu, Conv<1, Kernel<1>>, Dense<2>, Softmax>>(rng, 2);
}

TEST_CASE("training gradients: residual, concat and LRN") {
    auto rng = test::rng_for("grad residual concat lrn");
    check_gradients<Net<Input<5, 5, 4>, Residual<Body<Conv<4, Kernel<3>, Same>, Tanh, Conv<4, Kernel<3>, Same>>>, Relu,
                        Concat<Branch<Conv<2, Kernel<1>>>, Branch<Conv<3, Kernel<3>, Same>, Sigmoid>>,
                        Lrn<2, std::ratio<1>, std::ratio<1, 10>, std::ratio<3, 4>>, GlobalAvgPool, Dense<3>, Softmax>>(rng, 2);
}

TEST_CASE("training gradients: batch norm on batch statistics (after convs and a dense layer) and dropout's seeded masks") {
    auto rng = test::rng_for("grad batch norm dropout");
    check_gradients<Net<Input<5, 6, 2>, Conv<4, Kernel<3>, Same>, BatchNorm, Relu, Dropout<std::ratio<1, 4>>, Conv<3, Kernel<3>>, BatchNorm,
                        Tanh, Dense<5>, BatchNorm, Dropout<std::ratio<1, 2>>, Dense<3>, Softmax>>(rng, 4);
}

TEST_CASE("batch norm training: running statistics move toward the batch's, and fold into the inference net") {
    auto rng = test::rng_for("batch norm running statistics");
    using Normed = Net<Input<4, 3, 3>, BatchNorm, Conv<2, Kernel<3>, Same>, BatchNorm, Relu, Dense<3>, Softmax>;
    const NetSpec net = describe<Normed>();
    const int batch = 5;
    TrainNet trainer(net, {Optimizer::sgd(LearningRate::constant(0.0f)), batch});  // rate 0: only the statistics move
    Weights w = trainer.initial_weights(rng());
    CHECK(w["l1_batch_norm.gamma"] == std::vector<float>(3, 1.0f));
    CHECK(w["l1_batch_norm.running_var"] == std::vector<float>(3, 1.0f));
    Tensor images(batch, net.input);
    test::fill_uniform(images, rng);
    for (auto& v : images.values()) v = 3.0f * v + 1.0f;
    const std::vector<int> labels = {0, 1, 2, 0, 1};
    trainer.step(images, labels, w);
    trainer.step(images, labels, w);
    // The first batch norm reads the images: its batch statistics, in double, by the test.
    const ref::Tensor x = ref::from_kiln(images);
    for (long k = 0; k < 3; ++k) {
        double mean = 0, squares = 0;
        const double count = double(x.n * x.h * x.w);
        for (long b = 0; b < x.n; ++b)
            for (long yy = 0; yy < x.h; ++yy)
                for (long xx = 0; xx < x.w; ++xx) mean += x.at(b, yy, xx, k) / count;
        for (long b = 0; b < x.n; ++b)
            for (long yy = 0; yy < x.h; ++yy)
                for (long xx = 0; xx < x.w; ++xx) squares += (x.at(b, yy, xx, k) - mean) * (x.at(b, yy, xx, k) - mean);
        const double unbiased = squares / (count - 1);
        // Two steps with momentum 0.1 from (0, 1): 0.19 of the batch's value.
        CHECK(w["l1_batch_norm.running_mean"][std::size_t(k)] == doctest::Approx(0.19 * mean).epsilon(1e-4));
        CHECK(w["l1_batch_norm.running_var"][std::size_t(k)] == doctest::Approx(0.81 + 0.19 * unbiased).epsilon(1e-4));
    }
    // With the running statistics set to this batch's own (biased variance), the inference net on
    // the folded weights must give what the training form gives on the batch.
    ref::Mode training;
    training.training = true;
    Weights stats = w;
    for (int layer : {0, 2}) {
        const LayerSpec& bn = trainer.spec().layers[std::size_t(layer)];
        ref::Mode mode;
        mode.training = true;
        const std::vector<LayerSpec> before(trainer.spec().layers.begin(), trainer.spec().layers.begin() + layer);
        const ref::Tensor in = ref::run_layers(before, w, x, mode);
        for (long k = 0; k < in.c; ++k) {
            double mean = 0, squares = 0;
            const double count = double(in.n * in.h * in.w);
            for (std::size_t i = std::size_t(k); i < in.v.size(); i += std::size_t(in.c)) mean += in.v[i] / count;
            for (std::size_t i = std::size_t(k); i < in.v.size(); i += std::size_t(in.c)) squares += (in.v[i] - mean) * (in.v[i] - mean);
            stats[bn.name + ".running_mean"][std::size_t(k)] = float(mean);
            stats[bn.name + ".running_var"][std::size_t(k)] = float(squares / count);
        }
    }
    const ref::Tensor expected = ref::run_net(trainer.spec(), w, x, training);
    const Tensor got = codegen::JitNet::compile<Normed>().run(images, trainer.inference_weights(stats));
    CHECK(ref::relative_error(got, expected) < 1e-4);
    // Training weights are not inference weights: the JIT refuses them by name of net.
    CHECK_THROWS_WITH_AS(codegen::JitNet::compile<Normed>().run(images, w), doctest::Contains("made for another net"), Error);
}

TEST_CASE("dropout masks: the documented formula drops the rate, differs per step and seed, and is the same for the same seed") {
    auto rng = test::rng_for("dropout masks");
    const ref::Tensor shape(2, 16, 16, 32);
    using Dropped = Net<Input<4, 4, 2>, Dropout<std::ratio<3, 10>>, Dense<2>, Softmax>;
    codegen::TrainOptions options{Optimizer::sgd(LearningRate::constant(0.1f)), 2};
    options.seed = rng();
    const TrainNet a(describe<Dropped>(), options), b(describe<Dropped>(), options);
    options.seed += 1;
    const TrainNet other(describe<Dropped>(), options);
    CHECK(a.dropout_seed(7) == b.dropout_seed(7));
    CHECK(a.dropout_seed(7) != a.dropout_seed(8));
    CHECK(a.dropout_seed(7) != other.dropout_seed(7));
    long dropped = 0, same_as_next_step = 0;
    const long total = 2 * 16 * 16 * 32;
    for (long i = 0; i < total; ++i) {
        const long k = i % 32, xx = i / 32 % 16, yy = i / 512 % 16, n = i / 8192;
        const bool kept = ref::dropout_keeps(a.dropout_seed(0), 0, 0.3, n, yy, xx, k, shape);
        dropped += !kept;
        same_as_next_step += kept == ref::dropout_keeps(a.dropout_seed(1), 0, 0.3, n, yy, xx, k, shape);
    }
    // 16384 draws: the dropped share is within 4 standard deviations (0.014) of 0.3, and two steps'
    // masks agree where independent ones would (0.58 of the time).
    CHECK(std::abs(double(dropped) / double(total) - 0.3) < 0.015);
    CHECK(std::abs(double(same_as_next_step) / double(total) - 0.58) < 0.016);
}

TEST_CASE("optimizers: SGD with momentum and weight decay, and Adam, against their formulas, schedules") {
    auto rng = test::rng_for("optimizers");
    const std::vector<ParamSpec> specs = {{"a", "weights", "x", {5}}, {"b", "bias", "x", {3}}};
    for (bool adam : {false, true}) {
        Weights w(specs), g(specs);
        w.fill_random(rng());
        std::vector<std::vector<double>> ref_w, m, v;
        for (const auto& p : specs) {
            ref_w.emplace_back(w[p.name].begin(), w[p.name].end());
            m.emplace_back(p.dims[0], 0.0);
            v.emplace_back(p.dims[0], 0.0);
        }
        const Optimizer o = adam ? Optimizer::adam(LearningRate::constant(0.01f), 0.8f, 0.95f, 1e-6f, 0.01f)
                                 : Optimizer::sgd(LearningRate::constant(0.05f), 0.7f, 0.02f);
        codegen::OptimizerState state(o, w);
        for (int step = 1; step <= 4; ++step) {
            g.fill_random(rng());
            state.apply(w, g, 0);
            for (std::size_t t = 0; t < specs.size(); ++t)
                for (std::size_t i = 0; i < ref_w[t].size(); ++i) {
                    const double grad = g[specs[t].name][i] + (adam ? 0.01 : 0.02) * ref_w[t][i];
                    if (adam) {
                        m[t][i] = 0.8 * m[t][i] + 0.2 * grad;
                        v[t][i] = 0.95 * v[t][i] + 0.05 * grad * grad;
                        const double mh = m[t][i] / (1 - std::pow(0.8, step)), vh = v[t][i] / (1 - std::pow(0.95, step));
                        ref_w[t][i] -= 0.01 * mh / (std::sqrt(vh) + 1e-6);
                    } else {
                        m[t][i] = 0.7 * m[t][i] + grad;
                        ref_w[t][i] -= 0.05 * m[t][i];
                    }
                    CHECK(w[specs[t].name][i] == doctest::Approx(ref_w[t][i]).epsilon(1e-5));
                }
        }
        CHECK(state.step() == 4);
        // The state round-trips through its named tensors (a checkpoint).
        const auto restored = codegen::OptimizerState::from_tensors(o, w, state.tensors());
        CHECK(restored.step() == 4);
        Weights bad(specs);
        bad["a"][0] = std::nanf("");
        CHECK_THROWS_WITH_AS(state.apply(w, bad, 0), doctest::Contains("gradient of 'a' is not finite"), Error);
    }
    CHECK(LearningRate::step_decay(1.0f, 10, 0.5f).at(25, 100) == doctest::Approx(0.25));
    CHECK(LearningRate::cosine(1.0f, 0.1f).at(0, 11) == doctest::Approx(1.0));
    CHECK(LearningRate::cosine(1.0f, 0.1f).at(5, 11) == doctest::Approx(0.55));
    CHECK(LearningRate::cosine(1.0f, 0.1f).at(10, 11) == doctest::Approx(0.1));
}

TEST_CASE("a short training run learns a synthetic task, and the same seed gives bitwise the same weights") {
    // Class = which quadrant of the 8x8 image holds the bright square: a chance-level loss is
    // log(4) = 1.386; 60 steps of SGD must bring it below 0.3.
    using Quadrants = Net<Input<8, 8, 1>, Conv<4, Kernel<3>, Same>, Relu, MaxPool<Window<2>>, Dense<4>, Softmax>;
    const auto seed = test::seed();
    auto run = [&](std::uint64_t s) {
        std::mt19937_64 rng(s);
        TrainNet trainer(describe<Quadrants>(), {Optimizer::sgd(LearningRate::constant(0.1f), 0.9f), 16});
        Weights w = Weights::for_net(trainer.spec());
        w.fill_random(rng());
        float last = 0;
        for (int step = 0; step < 60; ++step) {
            Tensor images(16, Quadrants::input_shape);
            std::vector<int> labels(16);
            std::normal_distribution<float> noise(0, 0.1f);
            for (int b = 0; b < 16; ++b) {
                labels[std::size_t(b)] = int(rng() % 4);
                const int y0 = labels[std::size_t(b)] / 2 * 4, x0 = labels[std::size_t(b)] % 2 * 4;
                for (int y = 0; y < 8; ++y)
                    for (int x = 0; x < 8; ++x)
                        images(b, y, x, 0) = noise(rng) + (y >= y0 && y < y0 + 4 && x >= x0 && x < x0 + 4 ? 1.0f : 0.0f);
            }
            last = trainer.step(images, labels, w);
        }
        return std::make_pair(last, w);
    };
    const auto [loss, w1] = run(seed);
    CAPTURE(loss);
    CHECK(loss < 0.3f);
    const auto [loss2, w2] = run(seed);
    CHECK(loss2 == loss);
    for (const auto& p : w1.specs()) CHECK(w1[p.name] == w2[p.name]);
}

TEST_CASE("training refuses what it cannot train, and bad batches") {
    using NoSoftmax = Net<Input<4, 4, 1>, Conv<2, Kernel<3>>, Dense<2>>;
    CHECK_THROWS_WITH_AS(TrainNet(describe<NoSoftmax>()), doctest::Contains("must end in Softmax"), Error);
    codegen::TrainOptions unknown;
    unknown.schedule = "cuda";
    CHECK_THROWS_WITH_AS(TrainNet(describe<Net<Input<4, 4, 1>, Dense<2>, Softmax>>(), unknown),
                         doctest::Contains("'cuda' is not one of fused, unfused, auto-mullapudi2016"), Error);
    for (float smoothing : {-0.1f, 1.5f, std::nanf("")}) {
        codegen::TrainOptions bad;
        bad.label_smoothing = smoothing;
        CHECK_THROWS_WITH_AS(TrainNet(describe<Net<Input<4, 4, 1>, Dense<2>, Softmax>>(), bad),
                             doctest::Contains("label_smoothing must be in [0, 1]"), Error);
    }
    using Small = Net<Input<4, 4, 1>, Conv<2, Kernel<3>>, Dense<3>, Softmax>;
    TrainNet trainer(describe<Small>(), {Optimizer::sgd(LearningRate::constant(0.1f)), 2});
    Weights w = Weights::for_net(trainer.spec()), g;
    Tensor images(2, Small::input_shape);
    CHECK_THROWS_WITH_AS(trainer.gradients(images, {0}, w, g), doctest::Contains("2 images has 1 labels"), Error);
    CHECK_THROWS_WITH_AS(trainer.gradients(images, {0, 3}, w, g), doctest::Contains("label 3 of example 1"), Error);
    CHECK_THROWS_WITH_AS(trainer.gradients(Tensor(2, Shape{4, 5, 1}), {0, 1}, w, g), doctest::Contains("training images"), Error);
    CHECK_THROWS_WITH_AS(trainer.state(), doctest::Contains("no optimizer state yet"), Error);
}

TEST_CASE("a checkpoint (weights and optimizer state) goes on exactly where the run was") {
    using Small = Net<Input<6, 6, 2>, Conv<3, Kernel<3>, Same>, Relu, MaxPool<Window<2>>, Dense<3>, Softmax>;
    auto rng = test::rng_for("checkpoint");
    const NetSpec spec = describe<Small>();
    const codegen::TrainOptions options{Optimizer::adam(LearningRate::constant(0.01f)), 4};
    std::vector<Tensor> batches;
    std::vector<std::vector<int>> labels;
    for (int s = 0; s < 6; ++s) {
        batches.emplace_back(4, spec.input);
        test::fill_uniform(batches.back(), rng);
        labels.push_back({int(rng() % 3), int(rng() % 3), int(rng() % 3), int(rng() % 3)});
    }
    TrainNet trainer(spec, options);
    Weights w = Weights::for_net(spec);
    w.fill_random(rng());
    for (int s = 0; s < 3; ++s) trainer.step(batches[std::size_t(s)], labels[std::size_t(s)], w);
    const std::string path = (std::filesystem::temp_directory_path() / ("kiln-checkpoint-" + std::to_string(::getpid()) + ".safetensors")).string();
    codegen::save_checkpoint(path, w, trainer.state());
    codegen::Checkpoint saved = codegen::load_checkpoint(path, spec, options.optimizer);
    CHECK(saved.state.step() == 3);
    TrainNet resumed(spec, options);
    resumed.restore(saved.state);
    for (int s = 3; s < 6; ++s) {
        trainer.step(batches[std::size_t(s)], labels[std::size_t(s)], w);
        resumed.step(batches[std::size_t(s)], labels[std::size_t(s)], saved.weights);
    }
    for (const auto& p : w.specs()) CHECK(w[p.name] == saved.weights[p.name]);
    // A checkpoint for SGD has no Adam moments; the file says which tensor is missing.
    CHECK_THROWS_WITH_AS(codegen::load_checkpoint(path, spec, Optimizer::sgd(LearningRate::constant(0.1f))),
                         doctest::Contains("momentum"), Error);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
    CHECK_THROWS_AS(codegen::load_checkpoint(path, spec, options.optimizer), Error);
    std::filesystem::remove(path);
}

// The lecture's backpropagation through shared weights: with the 3x3 input a..i and a 2x2 filter,
// the gradient of s11 + s12 + s21 + s22 for each filter weight adds the inputs it met at every
// position: (a+b+d+e, b+c+e+f; d+e+g+h, e+f+h+i). Through kiln's differentiable lowering and
// Halide's autodiff, on small integers so the sums are exact.
TEST_CASE("lecture: the weight gradient of the summed 2x2 conv outputs adds the input at every position the weight is used") {
    auto rng = test::rng_for("lecture shared weights");
    using Lecture = Net<Input<3, 3, 1>, Conv<1, Kernel<2>, NoBias>>;
    codegen::Lowered net = codegen::lower(describe<Lecture>(), 1, 0, /*training=*/true);
    Halide::Func total("total");
    Halide::RDom r(0, 2, 0, 2);
    total() = 0.0f;
    total() += net.output(0, r.x, r.y, 0);
    const Halide::Derivative d = Halide::propagate_adjoints(total);
    Halide::ImageParam weights = net.params.at("l1_conv.weights");
    Halide::Buffer<float> in(1, 3, 3, 1), w(1, 1, 2, 2);
    in.for_each_value([&](float& v) { v = float(int(rng() % 19) - 9); });
    w.for_each_value([&](float& v) { v = float(int(rng() % 19) - 9); });
    net.input.set(in);
    weights.set(w);
    const Halide::Buffer<float> g = d(Halide::Func(weights)).realize({1, 1, 2, 2});
    auto at = [&](int y, int x) { return in(0, x, y, 0); };  // row y, column x of a..i
    const float a = at(0, 0), b = at(0, 1), c = at(0, 2), dd = at(1, 0), e = at(1, 1), f = at(1, 2), gg = at(2, 0), h = at(2, 1),
                i = at(2, 2);
    CHECK(g(0, 0, 0, 0) == a + b + dd + e);  // dims (o, i, kx, ky): kx 0, ky 0
    CHECK(g(0, 0, 1, 0) == b + c + e + f);
    CHECK(g(0, 0, 0, 1) == dd + e + gg + h);
    CHECK(g(0, 0, 1, 1) == e + f + h + i);
}
