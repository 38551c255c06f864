// Reads a file through zlib: gzip'd or plain alike (zlib passes plain files through), in exact
// chunks, with errors that name the file and what was being read.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "kiln/runtime/error.hpp"

namespace kiln::data::detail {

class GzipReader {
  public:
    explicit GzipReader(const std::string& path);
    ~GzipReader();
    GzipReader(const GzipReader&) = delete;
    GzipReader& operator=(const GzipReader&) = delete;

    // Reads exactly `bytes` into `out`; throws kiln::Error naming `what` if the file ends first or
    // its compressed data is bad.
    void read(void* out, std::size_t bytes, const std::string& what);
    // A big-endian 32-bit number (IDX headers).
    std::uint32_t read_u32(const std::string& what);
    // Whether the file has nothing left (reads nothing a later read would miss).
    bool at_end();

    const std::string& path() const { return path_; }

  private:
    std::string path_;
    gzFile file_ = nullptr;
};

}  // namespace kiln::data::detail
