// Writes the safetensors harness's seed corpus (scripts/fuzz.sh --make-corpus): files kiln's own
// writer makes for fuzz::Net, and hand-made ones for what the writer never emits (PyTorch layout and
// names, F16/BF16/F64, metadata), each one the reader accepts. Deterministic: rerunning rewrites the
// same bytes.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_net.hpp"
#include "kiln/runtime/safetensors.hpp"

namespace {

struct Tensor {
    std::string name, dtype, shape;  // shape as JSON, e.g. "[5,2,3,2]"
    std::size_t elements, element_size;
};

// A file from tensors laid out one after another, values 1, 2, 3, ... in each tensor's dtype.
void write_handmade(const std::string& path, const std::vector<Tensor>& tensors, const std::string& metadata) {
    std::string header = "{", data;
    for (const Tensor& t : tensors) {
        const std::size_t begin = data.size();
        for (std::size_t k = 0; k < t.elements; ++k) {
            const float f = float(k % 7) - 3.0f;
            unsigned char bytes[8] = {};
            if (t.dtype == "F32") std::memcpy(bytes, &f, 4);
            if (t.dtype == "F64") {
                const double d = f;
                std::memcpy(bytes, &d, 8);
            }
            std::uint32_t bits;
            std::memcpy(&bits, &f, 4);
            if (t.dtype == "BF16") bytes[0] = std::uint8_t(bits >> 16), bytes[1] = std::uint8_t(bits >> 24);
            if (t.dtype == "F16") {  // small integers: exact
                const std::uint16_t h = f == 0 ? 0 : std::uint16_t(((bits >> 16) & 0x8000) | (((bits >> 23 & 0xff) - 112) << 10) | ((bits >> 13) & 0x3ff));
                bytes[0] = std::uint8_t(h), bytes[1] = std::uint8_t(h >> 8);
            }
            data.append(reinterpret_cast<const char*>(bytes), t.element_size);
        }
        header += (header.size() > 1 ? "," : "") + ("\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":" + t.shape +
                                                    ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size()) + "]}");
    }
    if (!metadata.empty()) header += ",\"__metadata__\":" + metadata;
    header += "}";
    while (header.size() % 8) header += ' ';
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char((std::uint64_t(header.size()) >> (8 * i)) & 0xff);
    std::ofstream(path, std::ios::binary) << bytes << header << data;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const kiln::NetSpec net = kiln::describe<fuzz::Net>();
    kiln::Weights w = kiln::Weights::for_net(net);
    w.fill_small_integers(1, 3);
    save_safetensors(w, dir + "/kiln_writer.safetensors");

    write_handmade(dir + "/pytorch_f32.safetensors",
                   {{"features.0.weight", "F32", "[5,2,3,2]", 60, 4}, {"features.0.bias", "F32", "[5]", 5, 4},
                    {"classifier.weight", "F32", "[6,60]", 360, 4}, {"classifier.bias", "F32", "[6]", 6, 4}},
                   R"({"format":"pt"})");
    write_handmade(dir + "/kiln_half.safetensors",
                   {{"l1_conv.weights", "F16", "[3,2,2,5]", 60, 2}, {"l1_conv.bias", "BF16", "[5]", 5, 2},
                    {"l3_dense.weights", "BF16", "[60,6]", 360, 2}, {"l3_dense.bias", "F64", "[6]", 6, 8}},
                   R"({"format":"kiln","note":"F16, BF16 and F64"})");
    write_handmade(dir + "/pytorch_f16.safetensors",
                   {{"features.0.weight", "F16", "[5,2,3,2]", 60, 2}, {"features.0.bias", "F16", "[5]", 5, 2},
                    {"classifier.weight", "F16", "[6,60]", 360, 2}, {"classifier.bias", "F16", "[6]", 6, 2}},
                   "");

    // Each seed must load, or the corpus starts from nothing valid.
    kiln::SafetensorsOptions pytorch{kiln::WeightLayout::pytorch, fuzz::pytorch_names()};
    kiln::load_safetensors(net, dir + "/kiln_writer.safetensors");
    kiln::load_safetensors(net, dir + "/kiln_half.safetensors");
    kiln::load_safetensors(net, dir + "/pytorch_f32.safetensors", pytorch);
    const kiln::Weights half = kiln::load_safetensors(net, dir + "/pytorch_f16.safetensors", pytorch);
    if (half["l1_conv.bias"] != std::vector<float>{-3, -2, -1, 0, 1}) {
        std::fprintf(stderr, "make_safetensors_corpus: F16 values did not round-trip\n");
        return 1;
    }
    std::printf("wrote 4 seed files to %s\n", dir.c_str());
    return 0;
}
