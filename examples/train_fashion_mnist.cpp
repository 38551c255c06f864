// Trains a declared net on Fashion-MNIST (Debian's dataset-fashion-mnist), printing per epoch the
// loss, train and test accuracy, images/s and the time left (and a progress bar on a terminal);
// saves the inference weights as safetensors; then runs the test set through the JIT inference net
// and the AOT kernel kiln_add_net built from the same declaration, which must predict the same.
//
//   train_fashion_mnist [--net two-conv|two-conv-bn|two-conv-se] [--epochs N] [--batch B] [--optimizer sgd|adam]
//                       [--rate R] [--label-smoothing E] [--limit N] [--seed S] [--flip] [--out FILE]
//                       [--checkpoint FILE [--checkpoint-every STEPS]] [--resume FILE]
//
// A run killed at any point and resumed from its last checkpoint with the same flags ends with the
// weights the run that was never killed ends with, bit for bit: the checkpoint holds the weights and
// the optimizer's state (its step count), and the data order, flips, dropout masks and learning
// rate all follow from the seed and the step. In your own loop it takes two calls:
//   codegen::save_checkpoint(path, weights, trainer.state());             // every so often
//   auto c = codegen::load_checkpoint(path, spec, options.optimizer);     // on restart
//   trainer.restore(c.state); weights = c.weights;                        // then go on from c.state.step()
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "fashion_two_conv.hpp"  // the AOT kernels (examples/CMakeLists.txt, kiln_add_net)
#include "fashion_two_conv_bn.hpp"
#include "fashion_two_conv_se.hpp"
#include "kiln/codegen/checkpoint.hpp"
#include "kiln/codegen/jit.hpp"
#include "kiln/codegen/train.hpp"
#include "kiln/data/augment.hpp"
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

struct Settings {
    int epochs = 15, batch = 64, limit = 0;
    std::string optimizer = "sgd", out, checkpoint, resume;
    int checkpoint_every = 0;  // steps; 0: once an epoch
    float rate = 0, label_smoothing = 0;
    std::uint64_t seed = 1;
    bool flip = false;
};

// Trains `Net`, then checks `Kernel` (its AOT kernel) predicts what the trained net does.
template <class Net, class Kernel>
int train(const Settings& o) {
    std::fprintf(stderr, "reading Fashion-MNIST from %s\n", data::fashion_mnist_dir.c_str());
    data::Dataset train = data::load_fashion_mnist("train"), test = data::load_fashion_mnist("test");
    const data::Normalization norm = train.channel_statistics();
    train.normalize(norm);
    test.normalize(norm);
    const std::size_t per_epoch = o.limit > 0 ? std::size_t(o.limit) : train.size();
    const std::size_t batch = std::size_t(o.batch);
    const std::int64_t steps_per_epoch = std::int64_t((per_epoch + batch - 1) / batch);

    codegen::TrainOptions options;
    const float base = o.rate > 0 ? o.rate : o.optimizer == "sgd" ? 0.05f : 0.001f;
    options.optimizer = o.optimizer == "sgd" ? codegen::Optimizer::sgd(codegen::LearningRate::cosine(base), 0.9f, 5e-4f)
                                             : codegen::Optimizer::adam(codegen::LearningRate::cosine(base));
    options.batch_estimate = o.batch;
    options.total_steps = steps_per_epoch * o.epochs;
    options.seed = o.seed;
    options.label_smoothing = o.label_smoothing;
    std::fprintf(stderr, "compiling the training pipeline (forward, loss, backward)...\n");
    const auto compile_start = Clock::now();
    codegen::TrainNet trainer(describe<Net>(), options);
    codegen::JitNet inference = codegen::JitNet::compile<Net>();
    std::fprintf(stderr, "compiled in %.1f s\n", seconds_since(compile_start));

    Weights w = trainer.initial_weights(o.seed);
    std::int64_t first_step = 0;  // of the whole run: where a resumed run goes on
    if (!o.resume.empty()) {
        codegen::Checkpoint c = codegen::load_checkpoint(o.resume, trainer.spec(), options.optimizer);
        first_step = c.state.step();
        if (first_step > options.total_steps)
            throw Error("checkpoint " + o.resume + " is at step " + std::to_string(first_step) + ", past the " +
                        std::to_string(options.total_steps) + " steps these flags train: resume with the flags it was saved with");
        w = std::move(c.weights);
        trainer.restore(std::move(c.state));
        std::fprintf(stderr, "resumed from %s at step %lld of %lld (epoch %lld)\n", o.resume.c_str(), (long long)first_step,
                     (long long)options.total_steps, (long long)(first_step / steps_per_epoch + 1));
    }
    const std::int64_t every = o.checkpoint_every > 0 ? o.checkpoint_every : steps_per_epoch;
    const bool terminal = isatty(STDERR_FILENO);
    const auto start = Clock::now();
    std::printf("epoch   loss  train acc  test acc  images/s  time left\n");
    for (int epoch = int(first_step / steps_per_epoch); epoch < o.epochs; ++epoch) {
        const auto order = data::shuffled_order(train.size(), o.seed, std::uint64_t(epoch));
        const auto epoch_start = Clock::now();
        double loss_sum = 0;
        std::size_t right = 0, seen = 0;
        std::vector<int> labels;
        const std::int64_t resumed_at = epoch == int(first_step / steps_per_epoch) ? first_step % steps_per_epoch : 0;
        for (std::int64_t s = resumed_at; s < steps_per_epoch; ++s) {
            const std::size_t first = std::size_t(s) * batch, count = std::min(batch, per_epoch - first);
            Tensor images = train.batch(order, first, count, labels);
            if (o.flip) data::random_horizontal_flips(images, o.seed, std::uint64_t(epoch * steps_per_epoch + s));
            loss_sum += double(trainer.step(images, labels, w)) * double(count);
            // Train accuracy from the step's own forward pass (dropout on, batch statistics).
            for (std::size_t b = 0; b < count; ++b) right += trainer.predictions()[b] == labels[b];
            seen += count;
            // Saved whole or not at all (atomic_file.hpp): a kill during a save keeps the last one.
            if (!o.checkpoint.empty() && trainer.state().step() % every == 0) codegen::save_checkpoint(o.checkpoint, w, trainer.state());
            if (terminal && (s % 10 == 0 || s + 1 == steps_per_epoch)) {
                const int width = 30, filled = int(width * (s + 1) / steps_per_epoch);
                std::fprintf(stderr, "\r  epoch %d [%s%s] %lld/%lld steps, loss %.3f  ", epoch + 1, std::string(std::size_t(filled), '#').c_str(),
                             std::string(std::size_t(width - filled), '.').c_str(), (long long)(s + 1), (long long)steps_per_epoch,
                             loss_sum / double(seen));
            }
        }
        if (terminal) std::fprintf(stderr, "\r%80s\r", "");
        const double epoch_seconds = seconds_since(epoch_start);
        const Weights current = trainer.inference_weights(w);
        const double test_accuracy = accuracy(predict(test, 500, [&](const Tensor& t) { return inference.run(t, current); }), test);
        const double epochs_done = double(epoch + 1) - double(first_step) / double(steps_per_epoch);
        const double left = seconds_since(start) / epochs_done * double(o.epochs - epoch - 1);
        std::printf("%5d  %5.3f    %6.2f %%  %6.2f %%  %8.0f  %6.0f s\n", epoch + 1, loss_sum / double(seen),
                    100.0 * double(right) / double(seen), 100.0 * test_accuracy, double(seen) / epoch_seconds, left);
        std::fflush(stdout);
    }
    if (!o.checkpoint.empty()) codegen::save_checkpoint(o.checkpoint, w, trainer.state());
    std::printf("trained %d epochs in %.1f min%s\n", o.epochs, seconds_since(start) / 60, first_step ? " (this run: from the checkpoint on)" : "");
    const Weights trained = trainer.inference_weights(w);
    save_safetensors(trained, o.out);
    std::printf("saved the weights to %s\n", o.out.c_str());

    // The saved weights, loaded back, in the AOT kernel built from the same declaration.
    const Weights loaded = load_safetensors(describe<Net>(), o.out);
    const auto jit = predict(test, 500, [&](const Tensor& t) { return inference.run(t, trained); });
    const auto aot = predict(test, 500, [&](const Tensor& t) { return Kernel::run(t, loaded); });
    std::size_t differ = 0;
    for (std::size_t i = 0; i < jit.size(); ++i) differ += jit[i] != aot[i];
    std::printf("test accuracy %.2f %% (JIT), %.2f %% (AOT kernel, %s); predictions differing: %zu of %zu\n",
                100.0 * accuracy(jit, test), 100.0 * accuracy(aot, test), Kernel::target, differ, jit.size());
    // Float sums in another order may flip a near-tie, never more than a handful.
    if (differ > jit.size() / 1000) {
        std::fprintf(stderr, "train_fashion_mnist: the AOT kernel and the trained net disagree on %zu test images\n", differ);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings o;
    std::string net = "two-conv";
    CLI::App app("Trains a Fashion-MNIST net with kiln, then checks its AOT kernel predicts the same.", "train_fashion_mnist");
    app.add_option("--net", net,
                   "two-conv (FashionTwoConv), two-conv-bn (FashionTwoConvBn: batch norm, dropout) or two-conv-se (FashionTwoConvSe: "
                   "layer norm, SiLU, squeeze-excitation)")
        ->check(CLI::IsMember({"two-conv", "two-conv-bn", "two-conv-se"}))
        ->capture_default_str();
    app.add_option("--epochs", o.epochs, "passes over the training set")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--batch", o.batch, "examples per step")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--optimizer", o.optimizer, "sgd (momentum 0.9) or adam")->check(CLI::IsMember({"sgd", "adam"}))->capture_default_str();
    app.add_option("--rate", o.rate, "the initial learning rate (default 0.05 for sgd, 0.001 for adam), cosine-decayed");
    app.add_option("--label-smoothing", o.label_smoothing, "the loss's target: (1 - E) on the label, E spread over the classes")
        ->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    app.add_option("--limit", o.limit, "train on the first N shuffled examples of each epoch only (0: all)")->check(CLI::Range(0, 60000));
    app.add_option("--seed", o.seed, "weights, shuffling and dropout")->capture_default_str();
    app.add_flag("--flip", o.flip, "mirror a random half of each batch left to right (augmentation)");
    app.add_option("--out", o.out, "where to save the trained weights (default: the net's name .safetensors)");
    auto* checkpoint = app.add_option("--checkpoint", o.checkpoint, "save the weights and the optimizer's state here as training goes");
    app.add_option("--checkpoint-every", o.checkpoint_every, "steps between checkpoints (default: one an epoch)")
        ->check(CLI::Range(1, 1 << 30))
        ->needs(checkpoint);
    app.add_option("--resume", o.resume, "go on from this checkpoint (saved by --checkpoint with the same flags)")->check(CLI::ExistingFile);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (o.out.empty()) o.out = "fashion_" + std::string(net == "two-conv" ? "two_conv" : net == "two-conv-bn" ? "two_conv_bn" : "two_conv_se") + ".safetensors";
    try {
        if (net == "two-conv-se") return train<nets::FashionTwoConvSe, kiln_kernels::fashion_two_conv_se>(o);
        return net == "two-conv-bn" ? train<nets::FashionTwoConvBn, kiln_kernels::fashion_two_conv_bn>(o)
                                    : train<nets::FashionTwoConv, kiln_kernels::fashion_two_conv>(o);
    } catch (const Error& e) {
        std::fprintf(stderr, "train_fashion_mnist: %s\n", e.what());
        return 1;
    }
}
