// Trains a declared net on Fashion-MNIST (Debian's dataset-fashion-mnist), printing per epoch the
// loss, train and test accuracy, images/s and the time left (and a progress bar on a terminal);
// saves the weights as safetensors; then runs the test set through the JIT inference net and the
// AOT kernel kiln_add_net built from the same declaration, which must predict what training did.
//
//   train_fashion_mnist [--epochs N] [--batch B] [--optimizer sgd|adam] [--rate R] [--limit N]
//                       [--seed S] [--out FILE]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "fashion_two_conv.hpp"  // the AOT kernel (examples/CMakeLists.txt, kiln_add_net)
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/train.hpp"
#include "kiln/data/idx.hpp"
#include "kiln/runtime/safetensors.hpp"
#include "nets/fashion.hpp"

using namespace kiln;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Predicted class per example of `set` (the arg max of the net's output), in batches.
template <class Run>
std::vector<int> predict(const data::Dataset& set, std::size_t batch, Run run) {
    std::vector<std::size_t> order(set.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::vector<int> predictions, labels;
    for (std::size_t first = 0; first < set.size(); first += batch) {
        const std::size_t count = std::min(batch, set.size() - first);
        const Tensor out = run(set.batch(order, first, count, labels));
        for (std::size_t b = 0; b < count; ++b) {
            int best = 0;
            for (int k = 1; k < int(out.shape().c); ++k)
                if (out(extent_t(b), 0, 0, k) > out(extent_t(b), 0, 0, best)) best = k;
            predictions.push_back(best);
        }
    }
    return predictions;
}

double accuracy(const std::vector<int>& predictions, const data::Dataset& set) {
    std::size_t right = 0;
    for (std::size_t i = 0; i < predictions.size(); ++i) right += predictions[i] == set.labels()[i];
    return double(right) / double(set.size());
}

}  // namespace

int main(int argc, char** argv) {
    int epochs = 15, batch = 64, limit = 0;
    std::string optimizer = "sgd", out = "fashion_two_conv.safetensors";
    float rate = 0;
    std::uint64_t seed = 1;
    CLI::App app("Trains FashionTwoConv on Fashion-MNIST with kiln, then checks the AOT kernel predicts the same.",
                 "train_fashion_mnist");
    app.add_option("--epochs", epochs, "passes over the training set")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--batch", batch, "examples per step")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--optimizer", optimizer, "sgd (momentum 0.9) or adam")->check(CLI::IsMember({"sgd", "adam"}))->capture_default_str();
    app.add_option("--rate", rate, "the initial learning rate (default 0.05 for sgd, 0.001 for adam), cosine-decayed");
    app.add_option("--limit", limit, "train on the first N shuffled examples of each epoch only (0: all)")->check(CLI::Range(0, 60000));
    app.add_option("--seed", seed, "weights and shuffling")->capture_default_str();
    app.add_option("--out", out, "where to save the trained weights")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        std::fprintf(stderr, "reading Fashion-MNIST from %s\n", data::fashion_mnist_dir.c_str());
        data::Dataset train = data::load_fashion_mnist("train"), test = data::load_fashion_mnist("test");
        const data::Normalization norm = train.channel_statistics();
        train.normalize(norm);
        test.normalize(norm);
        const std::size_t per_epoch = limit > 0 ? std::size_t(limit) : train.size();
        const std::int64_t steps_per_epoch = std::int64_t((per_epoch + std::size_t(batch) - 1) / std::size_t(batch));

        codegen::TrainOptions options;
        const float base = rate > 0 ? rate : optimizer == "sgd" ? 0.05f : 0.001f;
        options.optimizer = optimizer == "sgd" ? codegen::Optimizer::sgd(codegen::LearningRate::cosine(base), 0.9f, 5e-4f)
                                               : codegen::Optimizer::adam(codegen::LearningRate::cosine(base));
        options.batch_estimate = batch;
        options.total_steps = steps_per_epoch * epochs;
        std::fprintf(stderr, "compiling the training pipeline (forward, loss, backward)...\n");
        const auto compile_start = Clock::now();
        codegen::TrainNet trainer(describe<nets::FashionTwoConv>(), options);
        codegen::JitNet inference = codegen::JitNet::compile<nets::FashionTwoConv>();
        std::fprintf(stderr, "compiled in %.1f s\n", seconds_since(compile_start));

        Weights w = Weights::for_net(trainer.spec());
        w.fill_random(seed);
        const bool terminal = isatty(STDERR_FILENO);
        const auto start = Clock::now();
        std::printf("epoch   loss  train acc  test acc  images/s  time left\n");
        for (int epoch = 0; epoch < epochs; ++epoch) {
            const auto order = data::shuffled_order(train.size(), seed, std::uint64_t(epoch));
            const auto epoch_start = Clock::now();
            double loss_sum = 0;
            std::size_t right = 0, seen = 0;
            std::vector<int> labels;
            for (std::int64_t s = 0; s < steps_per_epoch; ++s) {
                const std::size_t first = std::size_t(s) * std::size_t(batch), count = std::min<std::size_t>(batch, per_epoch - first);
                const Tensor images = train.batch(order, first, count, labels);
                const Tensor probs = inference.run(images, w);  // train accuracy before the step
                for (std::size_t b = 0; b < count; ++b) {
                    int best = 0;
                    for (int k = 1; k < 10; ++k)
                        if (probs(extent_t(b), 0, 0, k) > probs(extent_t(b), 0, 0, best)) best = k;
                    right += best == labels[b];
                }
                loss_sum += double(trainer.step(images, labels, w)) * double(count);
                seen += count;
                if (terminal && (s % 10 == 0 || s + 1 == steps_per_epoch)) {
                    const int width = 30, filled = int(width * (s + 1) / steps_per_epoch);
                    std::fprintf(stderr, "\r  epoch %d [%s%s] %lld/%lld steps, loss %.3f  ", epoch + 1, std::string(std::size_t(filled), '#').c_str(),
                                 std::string(std::size_t(width - filled), '.').c_str(), (long long)(s + 1), (long long)steps_per_epoch,
                                 loss_sum / double(seen));
                }
            }
            if (terminal) std::fprintf(stderr, "\r%80s\r", "");
            const double epoch_seconds = seconds_since(epoch_start);
            const double test_accuracy = accuracy(predict(test, 500, [&](const Tensor& t) { return inference.run(t, w); }), test);
            const double left = seconds_since(start) / double(epoch + 1) * double(epochs - epoch - 1);
            std::printf("%5d  %5.3f    %6.2f %%  %6.2f %%  %8.0f  %6.0f s\n", epoch + 1, loss_sum / double(seen),
                        100.0 * double(right) / double(seen), 100.0 * test_accuracy, double(seen) / epoch_seconds, left);
            std::fflush(stdout);
        }
        std::printf("trained %d epochs in %.1f min\n", epochs, seconds_since(start) / 60);
        save_safetensors(w, out);
        std::printf("saved the weights to %s\n", out.c_str());

        // The saved weights, loaded back, in the AOT kernel built from the same declaration.
        const Weights loaded = load_safetensors(describe<nets::FashionTwoConv>(), out);
        const auto jit = predict(test, 500, [&](const Tensor& t) { return inference.run(t, w); });
        const auto aot = predict(test, 500, [&](const Tensor& t) { return kiln_kernels::fashion_two_conv::run(t, loaded); });
        std::size_t differ = 0;
        for (std::size_t i = 0; i < jit.size(); ++i) differ += jit[i] != aot[i];
        std::printf("test accuracy %.2f %% (JIT), %.2f %% (AOT kernel, %s); predictions differing: %zu of %zu\n",
                    100.0 * accuracy(jit, test), 100.0 * accuracy(aot, test), kiln_kernels::fashion_two_conv::target, differ, jit.size());
        // Float sums in another order may flip a near-tie, never more than a handful.
        if (differ > jit.size() / 1000) {
            std::fprintf(stderr, "train_fashion_mnist: the AOT kernel and the trained net disagree on %zu test images\n", differ);
            return 1;
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "train_fashion_mnist: %s\n", e.what());
        return 1;
    }
    return 0;
}
