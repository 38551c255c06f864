// Joining a target's separately compiled pipelines into one object, and what names a cached one
// (see aot_parts.hpp).
#include <dlfcn.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "aot/aot_parts.hpp"
#include "kiln/runtime/error.hpp"

extern char** environ;

namespace kiln::codegen::detail {

std::uint64_t fnv1a(const std::string& text, std::uint64_t hash) {
    for (unsigned char ch : text) hash = (hash ^ ch) * 0x100000001b3ull;
    return hash;
}

std::string hex(std::uint64_t v) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", (unsigned long long)v);
    return text;
}

std::string file_fingerprint(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path + ", which identifies the code generator for the AOT cache");
    std::uint64_t hash = 0xcbf29ce484222325ull;
    std::string chunk(1 << 16, '\0');
    while (in.read(&chunk[0], std::streamsize(chunk.size())) || in.gcount() > 0) {
        chunk.resize(std::size_t(in.gcount()));
        hash = fnv1a(chunk, hash);
        chunk.resize(1 << 16);
    }
    return hex(hash);
}

std::string halide_identity() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&Halide::get_host_target), &info) || !info.dli_fname) return "Halide (location unknown)";
    struct stat st {};
    if (stat(info.dli_fname, &st) != 0) return std::string("Halide at ") + info.dli_fname;
    return std::string("Halide at ") + info.dli_fname + ", " + std::to_string(st.st_size) + " bytes, modified " + std::to_string(st.st_mtime);
}

void link_relocatable(const std::string& linker, const std::vector<std::string>& inputs, const std::string& output) {
    std::vector<std::string> words = {linker, "-r", "-o", output};
    words.insert(words.end(), inputs.begin(), inputs.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(&w[0]);
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (const int rc = posix_spawnp(&pid, linker.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0)
        throw Error("cannot run the linker '" + linker + "' to join the kernel's pipelines: " + std::strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw Error("lost the linker '" + linker + "' joining the kernel's pipelines");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("the linker '" + linker + " -r -o " + output + " ...' failed joining " + std::to_string(inputs.size()) +
                    " pipeline objects (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

}  // namespace kiln::codegen::detail
