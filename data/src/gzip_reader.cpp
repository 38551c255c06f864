// See gzip_reader.hpp.
#include "gzip_reader.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace kiln::data::detail {

GzipReader::GzipReader(const std::string& path) : path_(path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error("cannot read " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw Error("cannot read " + path + ": not a regular file");
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw Error("cannot open " + path + ": " + std::strerror(errno ? errno : ENOMEM));
    gzbuffer(file_, 1 << 17);
}

GzipReader::~GzipReader() {
    if (file_) gzclose(file_);
}

void GzipReader::read(void* out, std::size_t bytes, const std::string& what) {
    auto* p = static_cast<unsigned char*>(out);
    while (bytes > 0) {
        const unsigned chunk = unsigned(std::min<std::size_t>(bytes, 1u << 30));
        const int got = gzread(file_, p, chunk);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(file_, &code);
            throw Error(path_ + ": bad compressed data while reading " + what + " (" + (message ? message : "zlib error") + ")");
        }
        if (got == 0) {
            int code = 0;
            const char* message = gzerror(file_, &code);
            throw Error(path_ + ": the file ends in the middle of " + what + " (" + std::to_string(bytes) + " bytes missing" +
                        (code != Z_OK && message && *message ? std::string("; ") + message : std::string()) + ")");
        }
        p += got;
        bytes -= std::size_t(got);
    }
}

std::uint32_t GzipReader::read_u32(const std::string& what) {
    unsigned char b[4];
    read(b, 4, what);
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
}

bool GzipReader::at_end() {
    const int c = gzgetc(file_);
    if (c < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        if (code != Z_OK && code != Z_BUF_ERROR)
            throw Error(path_ + ": bad compressed data (" + (message ? message : "zlib error") + ")");
        return true;
    }
    gzungetc(c, file_);  // put back: the caller reads it
    return false;
}

}  // namespace kiln::data::detail
