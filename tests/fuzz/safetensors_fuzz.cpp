// libFuzzer harness for kiln's safetensors reader (scripts/fuzz.sh builds and runs it with ASan and
// UBSan): whatever the bytes, load_safetensors_from_memory must return weights or throw kiln::Error.
// Any other exception, a crash, a leak or undefined behavior is a finding.
//
// Each input is read in kiln's layout and in PyTorch's (with PyTorch names), as given and, when the
// stored header length does not match the JSON object that follows it, once more with the length
// repaired: mutations that insert or delete header bytes would otherwise mostly stop at the length
// check and never reach the JSON and tensor checks.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include "fuzz_net.hpp"
#include "kiln/runtime/safetensors.hpp"

namespace {

const kiln::NetSpec& net() {
    static const kiln::NetSpec spec = kiln::describe<fuzz::Net>();
    return spec;
}

const kiln::SafetensorsOptions& layout(bool pytorch) {
    static const kiln::SafetensorsOptions kiln_layout{};
    static const kiln::SafetensorsOptions pytorch_layout{kiln::WeightLayout::pytorch, fuzz::pytorch_names()};
    return pytorch ? pytorch_layout : kiln_layout;
}

[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "safetensors_fuzz: %s\n", what);
    std::abort();
}

void load(const unsigned char* data, std::size_t size, bool pytorch) {
    try {
        const kiln::Weights w = kiln::load_safetensors_from_memory(net(), data, size, layout(pytorch), "fuzz input");
        float sum = 0;  // every value read, so a bad read shows under ASan here if nowhere else
        for (const auto& p : w.specs())
            for (float v : w[p.name]) sum += v;
        (void)sum;
    } catch (const kiln::Error& e) {
        // The reader turns unexpected exceptions into kiln::Error; they are still bugs. A prefix
        // test, since names from the input appear later in messages (and libFuzzer learns strstr
        // needles).
        static const char internal[] = "kiln: safetensors fuzz input: internal error";
        if (std::strncmp(e.what(), internal, sizeof internal - 1) == 0) finding(e.what());
    } catch (const std::exception& e) {
        finding(e.what());
    } catch (...) {
        finding("an exception that is not a std::exception");
    }
}

// The header length that makes the header exactly the JSON object after the length prefix (plus
// the writer's padding to 8 bytes), or 0 when there is no complete object.
std::uint64_t object_length(const unsigned char* data, std::size_t size) {
    std::size_t i = 8;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r')) ++i;
    if (i == size || data[i] != '{') return 0;
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (; i < size; ++i) {
        const unsigned char c = data[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            ++i;
            while (i % 8 && i < size && data[i] == ' ') ++i;
            return i - 8;
        }
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (bool pytorch : {false, true}) load(data, size, pytorch);
    if (size < 8) return 0;
    std::uint64_t stored = 0;
    for (int i = 7; i >= 0; --i) stored = (stored << 8) | data[i];
    const std::uint64_t repaired = object_length(data, size);
    if (!repaired || repaired == stored) return 0;
    std::vector<unsigned char> copy(data, data + size);
    for (int i = 0; i < 8; ++i) copy[std::size_t(i)] = static_cast<unsigned char>(repaired >> (8 * i));
    for (bool pytorch : {false, true}) load(copy.data(), copy.size(), pytorch);
    return 0;
}
